using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Gamut.Bench.ThreadsBenchmarks).Assembly).Run(args);
