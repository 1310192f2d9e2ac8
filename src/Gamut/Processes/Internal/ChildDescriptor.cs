namespace Gamut.Processes.Internal;

/// <summary>A descriptor the parent hands to a child (one end of a child-to-child pipe); closed once passed on.</summary>
internal abstract class ChildDescriptor : IDisposable
{
    /// <summary>Closes the parent's copy.</summary>
    public abstract void Dispose();
}
