/*
 * labtool: the network lab's native helper (Linux), one program with a
 * command per concern:
 *
 *   labtool ping ADDR [COUNT]            echo ADDR with a raw socket, one after the
 *                                        other (lab check; with COUNT > 1 also the
 *                                        benchmark's native floor: time per echo)
 *   labtool respond ADDR DELAY_MS        answer echo requests to ADDR after a delay
 *   labtool capture FILE                 log every echo request arriving here
 *   labtool inject ADDR DECOY [DIR]      forge hostile packets at whoever pings ADDR
 *
 * Each runs inside a lab namespace (ip netns exec) and only ever sends to
 * addresses of the lab: the sender of a packet it received there, or ADDR.
 *
 * This file only dispatches; each command is its own file (ping.c,
 * responder.c, capture.c, injector.c) and their shared helpers are in
 * labnet.c (labnet.h).
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

#include "labnet.h"

int main( int argc, char **argv )
{
    setvbuf( stdout, NULL, _IOLBF, 0 );
    if (argc < 2) lab_die( "usage: labtool ping|respond|capture|inject ...\n" );
    if (!strcmp( argv[1], "ping" )) return lab_ping( argc - 1, argv + 1 );
    if (!strcmp( argv[1], "respond" )) return lab_respond( argc - 1, argv + 1 );
    if (!strcmp( argv[1], "capture" )) return lab_capture( argc - 1, argv + 1 );
    if (!strcmp( argv[1], "inject" )) return lab_inject( argc - 1, argv + 1 );
    lab_die( "unknown command '%s'\n", argv[1] );
}
