namespace Gamut.Jobs;

/// <summary>
/// Gives a job type its stable name, used when the registry scans an assembly
/// (<see cref="JobRegistry.AddAssembly(System.Reflection.Assembly)"/>). The name is the job's identity across
/// processes and machines: renaming it is a breaking change for queued work.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class JobAttribute : Attribute
{
    /// <summary>Names the job.</summary>
    /// <param name="name">The stable job name: letters, digits and <c>. _ - :</c>, at most 200 characters.</param>
    public JobAttribute(string name) => Name = name;

    /// <summary>The stable job name.</summary>
    public string Name { get; }
}
