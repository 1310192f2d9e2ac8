using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Gamut.Loop;

/// <summary>Turns a Linux errno from a socket call into the <see cref="SocketException"/> .NET code expects.</summary>
internal static class SocketErrors
{
    public static SocketException From(int errno) => new((int)(errno switch
    {
        104 => SocketError.ConnectionReset,
        32 => SocketError.Shutdown,
        110 => SocketError.TimedOut,
        111 => SocketError.ConnectionRefused,
        113 => SocketError.HostUnreachable,
        101 => SocketError.NetworkUnreachable,
        103 => SocketError.ConnectionAborted,
        24 or 23 => SocketError.TooManyOpenSockets,
        _ => SocketError.SocketError,
    }), $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
}
