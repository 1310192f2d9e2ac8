/* setpipe SIZE PROGRAM [ARGS...]: sets the pipes on stdin and stdout (when they are pipes) to SIZE bytes with
 * F_SETPIPE_SZ, then execs PROGRAM. bench/run-all.sh runs `cat` under it for every side of the pipe comparison, so
 * Gamut, Python, raw Process and CliWrap all pump through pipes of the same size (a pipe's size is shared by both
 * of its ends, so the child setting it is the same as the parent setting it). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: setpipe SIZE PROGRAM [ARGS...]\n");
        return 64;
    }
    int size = atoi(argv[1]);
    for (int fd = 0; fd <= 1; fd++) {
        if (fcntl(fd, F_GETPIPE_SZ) >= 0 && fcntl(fd, F_SETPIPE_SZ, size) < 0) {
            perror("setpipe: F_SETPIPE_SZ");
            return 70;
        }
    }
    execvp(argv[2], argv + 2);
    perror("setpipe: exec");
    return 127;
}
