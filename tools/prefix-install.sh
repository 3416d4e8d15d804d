#!/bin/sh
# prefix-install.sh install|uninstall|status: `make install-prefix` and
# `make uninstall-prefix`: the release's installer (tools/dist/setup_icmp.sh, the
# same file the tarball ships), with the DLLs of this source tree.
SETUP_NAME=prefix-install exec sh "$(dirname "$0")/dist/setup_icmp.sh" "$@"
