#!/bin/sh
# Generates ./configure from configure.ac and Makefile.am (needs autoconf,
# automake and pkg-config: apt-get install autoconf automake pkg-config).
set -e
cd "$(dirname "$0")"
mkdir -p m4
autoreconf --install --force
