using System.Reflection;

namespace Gamut.Cli;

/// <summary>The tool's help texts and version.</summary>
internal static class Usage
{
    public static string Version { get; } =
        typeof(Usage).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public const string Text = """
        gamut — run work concurrently: many commands at once, locally or on Redis workers

        Usage:
          gamut run [OPTIONS] COMMAND [ARGS...] ::: INPUTS...   run COMMAND once per input (GNU parallel's interface)
          gamut run --help                                       the options of run
          gamut sem [-j N] [--id NAME] [--fg|--wait] COMMAND     a counting semaphore across shell commands
          gamut worker --redis URL[,URL...] [OPTIONS]            run jobs from Redis (several URLs: a ring, or a Cluster)
          gamut status --redis URL[,URL...]                      queues, workers, and a ring's instances
          gamut ring show|add|remove --redis URL[,URL...]        a ring of Redis instances and its members
          gamut schedule add|list|remove|pause|resume ...        recurring jobs (cron) kept by the workers
          gamut limit set|clear|show QUEUE --rate N/PERIOD ...   a queue's rate limit, held by every worker
          gamut dashboard --redis URL[,URL...]                   the web dashboard, on 127.0.0.1:8080 (--listen IP:PORT)
          gamut measure [--quick] [--only S] [--json] [--html F] what threads, processes, the loop and Redis cost here
          gamut --help                                           this help
          gamut --version                                        the version

        Examples:
          gamut run echo ::: a b c
          gamut run -j 8 gzip -9 ::: *.log
          find . -name '*.png' | gamut run --bar convert {} {.}.jpg

        """;

    public const string RunText = """
        gamut run — run a command once per input, many at once (GNU parallel's interface)

        Usage:
          gamut run [OPTIONS] COMMAND [ARGS...] [::: VALUES... | :::+ VALUES... | :::: FILES... ]...
          COMMAND ... < inputs           one input per line from standard input when no ::: or :::: is given
          gamut run --pipe [OPTIONS] COMMAND < data     standard input cut into blocks, one per job's stdin
          gamut sem [-j N] [--id NAME] [--fg] COMMAND   a counting semaphore across shell commands (--wait: wait for all)

        Inputs:
          ::: a b c          values; several ::: groups combine (every value with every other)
          :::+ 1 2 3         values linked one to one with the group before (stops at the shorter)
          :::: FILE          one value per line of FILE (- is standard input)
          -a, --arg-file F   like :::: F, before the other sources
          -0, --null         values end with NUL instead of newline; -d, --delimiter D: with D (\n \t \0 \x41 …)
          -C, --colsep RE    split each value into columns {1} {2} ... on the regular expression RE
          --header :         the first value of each source names it (columns with --colsep, else tabs): {name}

        Several values per job:
          -N N, -n N         N values per job (-N0: one read, none given)
          -L N, -l           N lines per job; a line ending in a blank goes on with the next (-l: one)
          -m                 as many values as fit on a command line, shared out among the job slots at the end
          -X                 like -m, and each word holding {} is repeated per value (pre{}post -> prea prebpost…)
          --xargs            as many values as fit on a command line, not shared out

        Replacement strings (values are shell-quoted; with none, the values are appended):
          {}  {.}  {/}  {//}  {/.}   the value; without extension; base name; directory; base name without extension
          {1} {2.} {-1/} ...         the same for one value (by position; negative counts from the last)
          {#} {%}                    the job's number; its slot (1 to -j)
          -I STR, --er STR, --bnr STR, --dnr STR, --bner STR, --seqreplace STR, --slotreplace STR
                                     use STR instead of {}, {.}, {/}, {//}, {/.}, {#}, {%}

        Running:
          -j, --jobs N       jobs at once: N, N% of the cores, +N, -N, or 0 for as many as possible (default: cores)
          --delay SECS       wait between job starts
          --timeout SECS|N%  stop a job after SECS, or N% of the median run time of the jobs that succeeded
          --termseq SEQ      how a job is stopped: SIG,MS,SIG,MS,... (default: SIGTERM, --grace SECS later SIGKILL)
          --grace SECS       time between SIGTERM and SIGKILL when stopping a job (default 2)
          --retries N        run a failing job up to N times
          --halt WHEN,WHY=N  stop early: now|soon, fail|success|done = N or N%
          --memfree SIZE     start no job while less memory is available (1G, 500M, 100k)
          --load N           start no job while more than N processes are running (N% of the cores)
          --shuf             run the jobs in random order ({#} counts in the order they run)
          --joblog FILE      record every finished job (GNU parallel's columns); +FILE appends
          --resume           skip the jobs FILE lists; --resume-failed: skip only those that succeeded
          --retry-failed     run again the jobs the joblog lists as failed, with their logged command lines
          --env VAR          accepted; local jobs get the whole environment anyway
          --dry-run          print the command lines, run nothing

        Pipe mode:
          --pipe             cut standard input (or one -a file) into blocks after whole records, one per job
          --block SIZE       block size (default 1M; K M G = 1024s, k m g = 1000s)
          -N N, -L N         N records per block; N lines per record
          --recend STR, --recstart STR   where records end and begin (default: end at each newline)

        Output:
          (default)          each job's output in one piece when it ends (grouped)
          -k, --keep-order   in input order (the joblog too)
          --line-buffer      whole lines as they come
          -u, --ungroup      straight through, mixed
          --tag              prefix each line with the job's values; --tagstring STR with STR
          -v, --verbose      print each command line before its output
          --results DIR      each job's stdout, stderr and seq in DIR/1/VALUE/...; nothing printed
          --json             one JSON object per finished job (seq, input, exit, signal, duration, stdout, stderr)
          --bar, --eta       progress on stderr; on a terminal a live display is shown anyway (--no-progress: none)

        Semaphore (gamut sem, or gamut run --semaphore):
          -j N               slots (default 1: a mutex)      --id NAME   the semaphore (default: the terminal)
          --fg               run in the foreground and give the command's exit status (default: in the background)
          --wait             wait until every command of the semaphore has ended

        Options also come from ~/.parallel/config (or -J NAME: ~/.parallel/NAME) and $PARALLEL; --plain: not.

        Redis (jobs on gamut workers instead of local processes; see 'gamut worker'):
          --redis URL[,URL...]   submit each job to Redis (several URLs: a ring, or a Cluster)
          --queue NAME           the queue to submit to (default: default)

        Exit status: 0 when every job succeeded; the number of failed jobs (at most 101); 255 on other errors;
        with --halt, as GNU parallel. 128+N when stopped by signal N.

        """;
}
