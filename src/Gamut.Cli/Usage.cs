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
          gamut worker --redis URL[,URL...] [OPTIONS]            run jobs from Redis (several URLs: a ring, or a Cluster)
          gamut status --redis URL[,URL...]                      queues, workers, and a ring's instances
          gamut ring show|add|remove --redis URL[,URL...]        a ring of Redis instances and its members
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

        Inputs:
          ::: a b c          values; several ::: groups combine (every value with every other)
          :::+ 1 2 3         values linked one to one with the group before (stops at the shorter)
          :::: FILE          one value per line of FILE (- is standard input)
          -a, --arg-file F   like :::: F, before the other sources
          -0, --null         values end with NUL instead of newline
          -C, --colsep RE    split each value into columns {1} {2} ... on the regular expression RE

        Replacement strings (values are shell-quoted; with none, the values are appended):
          {}  {.}  {/}  {//}  {/.}   the value; without extension; base name; directory; base name without extension
          {1} {2.} {-1/} ...         the same for one value (by position; negative counts from the last)
          {#} {%}                    the job's number; its slot (1 to -j)

        Running:
          -j, --jobs N       jobs at once: N, N% of the cores, +N, -N, or 0 for as many as possible (default: cores)
          --delay SECS       wait between job starts
          --timeout SECS|N%  stop a job after SECS (or N% of the median run time): SIGTERM, then SIGKILL
          --grace SECS       time between SIGTERM and SIGKILL when stopping a job (default 2)
          --retries N        run a failing job up to N times
          --halt WHEN,WHY=N  stop early: now|soon, fail|success|done = N or N%
          --shuf             run the jobs in random order
          --joblog FILE      record every finished job (GNU parallel's columns)
          --resume           skip the jobs FILE lists; --resume-failed: skip only those that succeeded
          --dry-run          print the command lines, run nothing

        Output:
          (default)          each job's output in one piece when it ends (grouped)
          -k, --keep-order   in input order
          --line-buffer      whole lines as they come
          -u, --ungroup      straight through, mixed
          --tag              prefix each line with the job's values; --tagstring STR with STR
          -v, --verbose      print each command line before its output
          --json             one JSON object per finished job (seq, input, exit, signal, duration, stdout, stderr)
          --bar, --eta       progress on stderr; on a terminal a live display is shown anyway (--no-progress: none)

        Exit status: 0 when every job succeeded; the number of failed jobs (at most 101); 255 on other errors;
        with --halt, as GNU parallel. 128+N when stopped by signal N.

        """;
}
