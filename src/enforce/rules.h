/* SPDX-License-Identifier: Apache-2.0 */
/* What a protected container may do, from the command line and its behavioral fingerprint:
 * network destinations (for guard_net) and, in tree-aware mode, which program may start
 * which (docs/protect.md). */
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include "basic/macro.h"
#include "enforce.h"
#include "fingerprint/behavior.h"

/* "CIDR:PORT[-PORT][/tcp|/udp]": 10.0.0.0/8:443, 127.0.0.1:9000-9010/udp, [::1]:53, and '*'
 * for any port. -EINVAL if malformed. */
int net_rule_parse(const char *s, struct guard_net_rule *ret);
/* Append to pol; -E2BIG past GUARD_NET_RULES_MAX. */
int net_policy_add(struct guard_net_policy *pol, const struct guard_net_rule *r);
/* Every connection of every process of b, as exact address and port rules. */
int net_policy_add_behavior(struct guard_net_policy *pol, const struct behavior *b);
/* "addr:port" of an event's destination into buf. */
void net_format(unsigned short family, const unsigned char addr[16], unsigned short port,
		char *buf, size_t n);

/* Tree-aware mode: the (parent program, program) pairs the fingerprint learned. A program is
 * named by the base name of its argv[0] (15 bytes at most, like a comm); a learned program
 * without arguments by its comm. */
struct tree_policy;
int tree_policy_new(const struct behavior *b, struct tree_policy **ret);
struct tree_policy *tree_policy_free(struct tree_policy *t);
DEFINE_FREEP(struct tree_policy, tree_policy_free)
/* exec_tree_fn: NULL if pid (still running its parent's program, before the exec) may start
 * exe (the file st), else "unlearned_parent". A program is the image file it executes, named
 * by argv[0] only where argv[0] names that same file (a multi-call binary's applets); the
 * parent is the file pid executes now, not its writable cmdline (docs/protect.md). Reads
 * /proc/PID/{syscall,mem,cmdline,exe,root}. */
const char *tree_policy_check(void *tree_policy, pid_t pid, pid_t ppid, const char *exe,
			      const struct stat *st);
