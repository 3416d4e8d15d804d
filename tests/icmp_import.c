/*
 * icmp_import: a program that imports icmp.dll (not iphlpapi.dll), as old
 * ping tools do, pings a loopback address and says which DLL implemented the
 * call. Exit status 0 when the echo came back.
 *
 *   icmp_import.exe [address]     (default 127.0.0.1; loopback only)
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
#include <stdio.h>
#include <string.h>
#include <winsock2.h>
#include <windows.h>
#include <iphlpapi.h>
#include <icmpapi.h>

int main( int argc, char **argv )
{
    const char *target = argc > 1 ? argv[1] : "127.0.0.1";
    char data[32] = "icmp.dll importer", reply[sizeof(ICMP_ECHO_REPLY) + 32 + 8], path[MAX_PATH] = "?";
    ICMP_ECHO_REPLY *r = (ICMP_ECHO_REPLY *)reply;
    unsigned int b[4];
    HMODULE mod = NULL;
    IPAddr dst;
    HANDLE h;
    DWORD ret;

    if (sscanf( target, "%u.%u.%u.%u", &b[0], &b[1], &b[2], &b[3] ) != 4 || b[0] != 127)
    {
        fprintf( stderr, "icmp_import: give a loopback address\n" );
        return 2;
    }
    dst = htonl( b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3] );
    /* what the import resolved to: GetProcAddress follows icmp.dll's forward */
    GetModuleHandleExA( GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                        (const char *)GetProcAddress( GetModuleHandleA( "icmp.dll" ), "IcmpSendEcho" ), &mod );
    if (mod) GetModuleFileNameA( mod, path, sizeof(path) );
    printf( "IcmpSendEcho (imported from icmp.dll) is implemented in %s%s\n", path,
            mod && !memcmp( (const BYTE *)mod + 0x40, "Wine builtin DLL", 16 ) ? " (Wine builtin)" : "" );

    if ((h = IcmpCreateFile()) == INVALID_HANDLE_VALUE)
    {
        printf( "IcmpCreateFile failed: %lu\n", GetLastError() );
        return 1;
    }
    ret = IcmpSendEcho( h, dst, data, sizeof(data), NULL, reply, sizeof(reply), 2000 );
    if (ret == 1 && r->Status == IP_SUCCESS && r->DataSize == sizeof(data) && !memcmp( r->Data, data, sizeof(data) ))
        printf( "reply from %s: %u bytes, status %lu\n", target, r->DataSize, r->Status );
    else
        printf( "no reply: returned %lu, error %lu, status %lu\n", ret, GetLastError(), r->Status );
    IcmpCloseHandle( h );
    return ret == 1 && r->Status == IP_SUCCESS ? 0 : 1;
}
