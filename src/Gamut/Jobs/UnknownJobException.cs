namespace Gamut.Jobs;

/// <summary>A job name that is not in the registry. Nothing is ever resolved by reflection in its place.</summary>
public sealed class UnknownJobException : JobException
{
    /// <summary>Creates the error.</summary>
    /// <param name="name">The name that was asked for (truncated to 200 characters in the message).</param>
    public UnknownJobException(string name)
        : base($"No job is registered under the name '{Truncate(name)}'; only registered jobs run")
    {
        Name = name;
    }

    /// <summary>The name that was asked for.</summary>
    public string Name { get; }

    private static string Truncate(string name) => name.Length <= 200 ? name : name[..200] + "…";
}
