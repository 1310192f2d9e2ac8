using BenchmarkDotNet.Running;

if (args is ["cpu", ..])
{
    var rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10;
    var jobs = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 200_000;
    await Gamut.Bench.CpuRatio.RunAsync(rounds, jobs);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Gamut.Bench.ThreadsBenchmarks).Assembly).Run(args);
