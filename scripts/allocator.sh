# Sourced by scripts/voxelseg and scripts/bench/train.sh: the native memory allocator for libtorch.
#
# libtorch allocates every tensor with malloc. glibc's malloc maps each block above 32 MB afresh and
# unmaps it when freed, so a training step touches its activations and gradients as new pages every
# time (page faults and zeroing, and on a virtual machine that hands free memory back to its host, a
# host fault as well). jemalloc, set up as Intel's PyTorch CPU tuning guide recommends, keeps freed
# blocks in the process and reuses them. VOXELSEG_ALLOCATOR=system keeps glibc's malloc.

# Prints the path of libjemalloc.so.2, or nothing when it is not installed.
voxelseg_find_jemalloc() {
	local f
	f=$(/sbin/ldconfig -p 2>/dev/null | awk '/libjemalloc\.so\.2 / { print $NF; exit }')
	[ -n "$f" ] && [ -e "$f" ] && { echo "$f"; return; }
	for f in /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 /usr/lib/aarch64-linux-gnu/libjemalloc.so.2 \
		/usr/lib64/libjemalloc.so.2 /usr/lib/libjemalloc.so.2 /usr/local/lib/libjemalloc.so.2; do
		[ -e "$f" ] && { echo "$f"; return; }
	done
}

# Exports LD_PRELOAD and MALLOC_CONF for jemalloc unless VOXELSEG_ALLOCATOR is "system" or jemalloc
# is missing; a MALLOC_CONF already set is kept. Sets voxelseg_allocator to what was chosen:
# jemalloc or system. (Call it directly, not in $(...), or the exports stay in the subshell.)
voxelseg_use_allocator() {
	local want=${VOXELSEG_ALLOCATOR:-jemalloc} lib
	voxelseg_allocator=system
	case "$want" in
		system) return ;;
		jemalloc) ;;
		*) echo "VOXELSEG_ALLOCATOR must be jemalloc or system, not '$want'" >&2; return 2 ;;
	esac
	lib=$(voxelseg_find_jemalloc)
	[ -n "$lib" ] || return 0
	export LD_PRELOAD="$lib${LD_PRELOAD:+:$LD_PRELOAD}"
	# Freed blocks are never given back while the process runs (decay -1): a step reuses the last
	# step's memory. oversize_threshold:1 keeps large blocks out of jemalloc's eagerly purged arena.
	export MALLOC_CONF=${MALLOC_CONF:-oversize_threshold:1,background_thread:true,metadata_thp:auto,dirty_decay_ms:-1,muzzy_decay_ms:-1}
	voxelseg_allocator=jemalloc
}
