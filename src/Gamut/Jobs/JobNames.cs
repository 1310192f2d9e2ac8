using System.Reflection;

namespace Gamut.Jobs;

/// <summary>Rules for job names, and the default name of a job type.</summary>
public static class JobNames
{
    /// <summary>The longest name accepted.</summary>
    public const int MaxLength = 200;

    /// <summary>
    /// The default name of a job type: its <see cref="JobAttribute"/> name when it has one, else its full type name.
    /// </summary>
    /// <param name="jobType">The job type.</param>
    /// <exception cref="ArgumentException">That name is not a valid job name (e.g. a generic type's full name).</exception>
    public static string Of(Type jobType)
    {
        var name = DefaultOf(jobType);
        Validate(name);
        return name;
    }

    internal static string DefaultOf(Type jobType)
    {
        ArgumentNullException.ThrowIfNull(jobType);
        var attribute = jobType.GetCustomAttribute<JobAttribute>(inherit: false);
        return attribute?.Name ?? jobType.FullName ?? jobType.Name;
    }

    /// <summary>Whether <paramref name="name"/> is a valid job name.</summary>
    /// <param name="name">The candidate.</param>
    public static bool IsValid(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or ':' or '+'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Throws <see cref="ArgumentException"/> when <paramref name="name"/> is not a valid job name.</summary>
    /// <param name="name">The candidate.</param>
    public static void Validate(string? name)
    {
        if (!IsValid(name))
        {
            throw new ArgumentException(
                $"'{name}' is not a valid job name: use 1 to {MaxLength} ASCII letters, digits and . _ - : +",
                nameof(name));
        }
    }
}
