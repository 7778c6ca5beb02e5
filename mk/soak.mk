# make soak: a fleet of processes sharing one client id against lucid-testserver
# --invalidate-previous (tokens not shared, then shared on disk), and hostile peers (a trickling
# CONNECT proxy, a Redis announcing a huge reply, a trickling Redis): scripts/soak.py. Prints token
# requests, failed calls, the longest call and RSS; fails when a target is missed. On demand only.
# Included from the Makefile.
#
#   make soak                          4 processes, 8 s tokens, refresh_margin 4, 20 s of calls
#   make soak SOAK_ARGS='--seconds 60 --processes 8'
#   make soak SOAK_HOSTILE=            without the hostile peers

SOAK_ARGS    ?=
SOAK_HOSTILE ?= --hostile

.PHONY: soak

soak: lib
	python3 scripts/soak.py $(SOAK_HOSTILE) $(SOAK_ARGS)
