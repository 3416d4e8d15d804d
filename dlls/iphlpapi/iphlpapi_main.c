/*
 * iphlpapi.dll's entry point. The ICMP echo functions are in icmp_api.c;
 * every other export forwards to iphlpapi_orig.dll (iphlpapi.spec).
 *
 * Copyright 2026 the icmp-echo authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * This library is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Lesser General Public License for more details.
 *
 * You should have received a copy of the GNU Lesser General Public
 * License along with this library; if not, write to the Free Software
 * Foundation, Inc., 51 Franklin St, Fifth Floor, Boston, MA 02110-1301, USA
 */

#include <stdarg.h>

#include "windef.h"
#include "winbase.h"

#include "echo_engine.h"
#include "icmp_handle.h"

/* how a program tells our DLL from Wine's and Windows' own: the conformance
 * programs' --results records it (tests/icmp_results.h); the version is
 * configure.ac's */
static const char version_marker[] __attribute__((used)) = "icmp-echo iphlpapi.dll version " ICMP_ECHO_VERSION;

BOOL WINAPI DllMain( HINSTANCE instance, DWORD reason, void *reserved )
{
    switch (reason)
    {
    case DLL_PROCESS_ATTACH:
        return echo_engine_process_attach( instance );
    case DLL_THREAD_DETACH:
        echo_engine_thread_detach();
        break;
    case DLL_PROCESS_DETACH:
        echo_engine_process_detach( reserved );
        icmp_handle_process_detach( reserved );
        break;
    }
    return TRUE;
}
