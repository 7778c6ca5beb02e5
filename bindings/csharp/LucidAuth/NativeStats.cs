// Part of the C# binding of lucidauth: see README.md beside this project.

using System;
using System.Runtime.InteropServices;

namespace LucidAuth
{
    internal sealed class StatsHandle : LucidHandle
    {
        public StatsHandle() { }
        protected override bool ReleaseHandle() { NativeStats.lucid_stats_free(handle); return true; }
    }

    internal static class NativeStats
    {
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int lucid_client_stats(ClientHandle client, out IntPtr stats, out IntPtr err);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern ulong lucid_stats_value(StatsHandle stats, int which);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr lucid_stat_name(int which);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern UIntPtr lucid_stats_scope_count(StatsHandle stats);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr lucid_stats_scope(StatsHandle stats, UIntPtr index);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr lucid_stats_scope_origin(StatsHandle stats, UIntPtr index);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern ulong lucid_stats_scope_refresh_in_ms(StatsHandle stats, UIntPtr index);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern ulong lucid_stats_scope_expires_in_ms(StatsHandle stats, UIntPtr index);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern void lucid_stats_free(IntPtr stats);
    }
}
