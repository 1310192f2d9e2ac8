using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace Gamut.Jobs;

/// <summary>
/// Decides once, at registration, whether a job takes a null input, from the nullable annotations of the
/// <c>RunAsync</c> that implements <see cref="IJob{TIn, TOut}"/> on the job type.
/// </summary>
internal static class JobInputNullability
{
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "A job type's interface map is read at registration; a trimmed job type keeps its RunAsync, which the registry calls.")]
    public static bool AcceptsNull(Type jobType, Type inputType,
        [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicMethods | DynamicallyAccessedMemberTypes.NonPublicMethods)] Type jobInterface)
    {
        if (inputType.IsValueType)
        {
            return Nullable.GetUnderlyingType(inputType) is not null;
        }

        try
        {
            // The closed IJob<TIn, TOut> comes from the typed caller: no MakeGenericType, so this also runs natively compiled.
            var map = jobType.GetInterfaceMap(jobInterface);
            var method = map.TargetMethods[0];
            var parameter = method.GetParameters()[0];

            // Unknown (code compiled without nullable annotations) takes null, as such code always has.
            return new NullabilityInfoContext().Create(parameter).WriteState != NullabilityState.NotNull;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or NotSupportedException or IndexOutOfRangeException)
        {
            return true;
        }
    }
}
