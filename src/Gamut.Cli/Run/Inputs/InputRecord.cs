namespace Gamut.Cli.Run.Inputs;

/// <summary>The values of one job: one per input source, or one per column with <c>--colsep</c>.</summary>
/// <param name="Seq">The job's sequence number, from 1 in input order (<c>{#}</c>).</param>
/// <param name="Values">The values, in source order.</param>
/// <param name="Stdin">With <c>--pipe</c>: the block of standard input the job reads; else null.</param>
internal sealed record InputRecord(long Seq, string[] Values, byte[]? Stdin = null);
