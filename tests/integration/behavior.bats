#!/usr/bin/env bats
# Behavioral fingerprints (docs/behavior.md) against RAD Security's public catalog, 25 real files
# nobody here wrote: each one imports, exports in RAD's layout, re-imports to the same model;
# folding and collapsing lose nothing but what the documented rules say; behavior-diff, learn
# --merge and fingerprint show work on them; hostile files are refused with one line.

load ../lib/common

CATALOG=${IMPRINT_RAD_CATALOG:-$TOP/../shared/rad-catalog}

setup_file() {
	[ -x "$IMPRINT" ] || fail "imprint binary not found at $IMPRINT"
}

setup() {
	need "the RAD catalog is not at $CATALOG (IMPRINT_RAD_CATALOG)" test -d "$CATALOG"
	skip_unless jq
	T=$BATS_TEST_TMPDIR
	mapfile -t FILES < <(find "$CATALOG" -name fingerprint.json | sort)
	PG=$CATALOG/images/1c39480406a55c9d22dafd64d8f8d3b175eb4acf74a2895540825fa9785f4eaa/fingerprint.json
	NGINX=$CATALOG/images-v2/registry.k8s.io/ingress-nginx/controller
	NGINX_A=$NGINX/sha256:0115d7e01987c13e1be90b09c223c3e0d8e9a92e97c0421e712ad3577e2d78e5/fingerprint.json
	NGINX_B=$NGINX/sha256:2648554ee53ec65a6095e00a53c89efae60aa21086733cdf56ae05e8f8546788/fingerprint.json
}

# export FILE OUT: `imprint learn --merge FILE -o OUT` (the canonical form of one file).
export_to() {
	run "$IMPRINT" learn --merge "$1" -o "$2"
	assert_status 0
}

# Everything a RAD reader sees, as sorted lines: per container, the programs, files and
# connections of the whole tree (folded nodes once), and the number of processes (folded nodes
# counted count times).
rad_view() {
	jq -r '
	  def procs: (.count // 1) * (1 + ([.children[]? | procs] | add // 0));
	  .containers[] | .name as $c | (.entrypoint.process, .exec.process // empty) |
	  ("\($c) processes \(procs)"),
	  (.. | objects | select(has("comm")) | "\($c) program \(.comm) \(.args // [] | tojson)"),
	  (.. | objects | select(has("path")) | "\($c) file \(.path)"),
	  (.. | objects | select(has("address")) | "\($c) connect \(.address) \(.port) \(.hostname)")
	' "$1" | sort -u
}

@test "catalog: all 25 files import, export, and re-import to the same bytes" {
	[ "${#FILES[@]}" -eq 25 ] || fail "expected 25 catalog files, found ${#FILES[@]}"
	for f in "${FILES[@]}"; do
		export_to "$f" "$T/once.json"
		export_to "$T/once.json" "$T/twice.json"
		cmp "$T/once.json" "$T/twice.json" || fail "not stable: $f"
		run "$IMPRINT" learn --merge "$f" -o "$T/again.json"
		cmp "$T/once.json" "$T/again.json" || fail "not deterministic: $f"
	done
}

@test "catalog: the export is RAD's format and loses nothing but /proc/<pid> numbers" {
	for f in "${FILES[@]}"; do
		export_to "$f" "$T/out.json"
		assert_eq "kind" Fingerprint "$(jq -r .kind "$T/out.json")"
		assert_eq "apiVersion" rad.ksoc.com/v1alpha1 "$(jq -r .apiVersion "$T/out.json")"
		assert_eq "$f: top-level keys" '["kind","apiVersion","metadata","containers"]' \
			"$(jq -c keys_unsorted "$T/out.json")"
		assert_eq "$f: metadata and containers" \
			"$(jq -c '[.metadata, [.containers[] | [.name, .imageName, .imageDigest]]]' "$f")" \
			"$(jq -c '[.metadata, [.containers[] | [.name, .imageName, .imageDigest]]]' "$T/out.json")"
		diff <(rad_view "$f" | sed 's|^\(.* file /proc/\)1/|\1*/|' | sort -u) \
			<(rad_view "$T/out.json") || fail "$f: content differs"
	done
}

@test "catalog: postgresql's repeated date and id fold into nodes with counts" {
	export_to "$PG" "$T/pg.json"
	count() { jq "[.. | objects | select(has(\"programs\"))] | length" "$1"; }
	assert_eq "process nodes in RAD's file" 100 "$(count "$PG")"
	assert_eq "process nodes folded" 70 "$(count "$T/pg.json")"
	assert_eq "setup.sh's 13 identical dates" 13 "$(jq '[.. | objects |
		select(.programs[0].comm? == "date") | .count // 1] | max' "$T/pg.json")"
	assert_eq "no node repeats a sibling" 0 "$(jq '[.. | objects | select(has("children")) |
		.children | map(del(.count)) | length - (unique | length)] | add' "$T/pg.json")"
}

@test "catalog: every export is smaller than RAD's file, or the same size" {
	local total_rad=0 total_ours=0 a b
	for f in "${FILES[@]}"; do
		export_to "$f" "$T/out.json"
		a=$(stat -c %s "$f")
		b=$(stat -c %s "$T/out.json")
		[ "$b" -le "$a" ] || fail "$f: $b bytes exported, RAD's is $a"
		total_rad=$((total_rad + a))
		total_ours=$((total_ours + b))
	done
	[ "$total_ours" -lt "$total_rad" ] || fail "total $total_ours >= $total_rad"
}

@test "behavior-diff: a RAD file and its export are the same (exit 0, no output)" {
	export_to "$PG" "$T/pg.json"
	run "$IMPRINT" behavior-diff "$PG" "$T/pg.json"
	assert_status 0
	assert_eq output "" "$output"
}

@test "behavior-diff: two ingress-nginx releases differ by one file (exit 1)" {
	run "$IMPRINT" behavior-diff "$NGINX_A" "$NGINX_B"
	assert_status 1
	assert_eq output "+ controller entrypoint/nginx-ingress-c: file /tmp/nginx/nginx.pid" "$output"
	run "$IMPRINT" behavior-diff "$NGINX_B" "$NGINX_A"
	assert_status 1
	assert_eq output "- controller entrypoint/nginx-ingress-c: file /tmp/nginx/nginx.pid" "$output"
}

@test "behavior-diff --json: equal, added, removed" {
	run "$IMPRINT" behavior-diff --json "$NGINX_A" "$NGINX_B"
	assert_status 1
	assert_eq json '{"equal":false,"added":[{"container":"controller","where":"entrypoint/nginx-ingress-c","what":"file","value":"/tmp/nginx/nginx.pid"}],"removed":[]}' \
		"$(echo "$output" | jq -c .)"
	run "$IMPRINT" behavior-diff --json "$PG" "$PG"
	assert_status 0
	assert_eq json '{"equal":true,"added":[],"removed":[]}' "$(echo "$output" | jq -c .)"
}

@test "behavior-diff: a changed uid, a new program and a new connection, by place" {
	jq '.containers[0].entrypoint.process.children[0].uid = 0 |
	    .containers[0].entrypoint.process.children[0].connections = [{"address": "10.1.2.3", "port": 22}] |
	    .containers[0].entrypoint.process.programs += [{"comm": "nc", "args": ["nc", "-l"]}]' \
		"$NGINX_A" >"$T/b.json"
	run "$IMPRINT" behavior-diff "$NGINX_A" "$T/b.json"
	assert_status 1
	assert_contains "+ controller entrypoint: program nc: nc -l"
	assert_contains "- controller entrypoint/nginx-ingress-c: identity 101:82"
	assert_contains "+ controller entrypoint/nginx-ingress-c: identity 0:82"
	assert_contains "+ controller entrypoint/nginx-ingress-c: connection 10.1.2.3:22"
}

@test "behavior-diff: a container only one side has" {
	run "$IMPRINT" behavior-diff "$NGINX_A" "$PG"
	assert_status 1
	assert_eq output "- container controller (registry.k8s.io/ingress-nginx/controller@sha256:5b161f051d017e55d358435f295f5e9a297e66158f136321d9b04520ec6c48a3)
+ container postgresql (docker.io/bitnami/postgresql:16.1.0-debian-11-r24)" "$output"
}

@test "learn --merge: A with A is A; the union of two replicas holds both" {
	export_to "$PG" "$T/pg.json"
	run "$IMPRINT" learn --merge "$PG" "$T/pg.json" "$PG" -o "$T/m.json"
	assert_status 0
	cmp "$T/pg.json" "$T/m.json"
	# a second replica: one more file, one process fewer
	jq '.containers[0].entrypoint.process.files += [{"path": "/etc/shadow"}] |
	    del(.containers[0].entrypoint.process.children[0])' "$PG" >"$T/replica.json"
	run "$IMPRINT" learn --merge --json "$PG" "$T/replica.json" -o "$T/u.json"
	assert_status 0
	assert_eq summary '{"output":"'"$T/u.json"'","containers":1,"complete":true}' \
		"$(echo "$output" | jq -c '{output, containers, complete}')"
	run "$IMPRINT" behavior-diff "$T/u.json" "$PG"
	[[ "$output" != *"+ "* ]] || fail "the union lacks something of A: $output"
	run "$IMPRINT" behavior-diff "$T/u.json" "$T/replica.json"
	[[ "$output" != *"+ "* ]] || fail "the union lacks something of B: $output"
	run "$IMPRINT" behavior-diff "$PG" "$T/u.json"
	assert_eq output "+ postgresql entrypoint: file /etc/shadow" "$output"
}

@test "learn --merge: incomplete inputs give an incomplete union; to stdout without -o" {
	jq '. + {"imprint": {"complete": false, "lostEvents": 12}}' "$NGINX_A" >"$T/lost.json"
	run "$IMPRINT" learn --merge "$NGINX_A" "$T/lost.json"
	assert_status 0
	assert_eq imprint '{"complete":false,"lostEvents":12}' "$(echo "$output" | jq -c .imprint)"
	cat "$T/lost.json" | "$IMPRINT" learn --merge - -o /dev/null
}

@test "learn --merge: the same container as two users is an error, nothing written" {
	jq '.containers[0].entrypoint.process.uid = 0' "$PG" >"$T/root.json"
	run "$IMPRINT" learn --merge "$PG" "$T/root.json" -o "$T/out.json"
	assert_error learn
	assert_contains "the entrypoint runs as 1001:0 in one and 0:0 in the other"
	[ ! -e "$T/out.json" ]
}

@test "learn --merge: a failure names the file and what is wrong; exit 2, nothing written" {
	cp "$PG" "$T/a.json"
	cp "$PG" "$T/b.json"
	jq '.containers[0].entrypoint.process.uid = 0' "$PG" >"$T/root.json"
	# a conflict: the files merged so far (one) and the file that does not fit (the other)
	run "$IMPRINT" learn --merge "$T/a.json" "$T/b.json" "$T/root.json" -o "$T/out.json"
	assert_error learn
	assert_eq message "imprint: learn: cannot merge $T/a.json and $T/b.json with $T/root.json: container 'postgresql': the entrypoint runs as 1001:0 in one and 0:0 in the other" "$output"
	[ ! -e "$T/out.json" ]
	# a bad file after good ones: its name and the place in it
	jq '.containers[0].entrypoint.process.children[1].connections = [{"address": "10.0.0.300", "port": 5432}]' "$PG" >"$T/addr.json"
	run "$IMPRINT" learn --merge "$T/a.json" "$T/addr.json" -o "$T/out.json"
	assert_error learn
	assert_eq message "imprint: learn: $T/addr.json: containers[0].entrypoint.process.children[1].connections[0].address: '10.0.0.300' is not an IP address" "$output"
	# two replicas in one file that cannot be one container
	jq '.containers += [.containers[0] | .entrypoint.process = {"uid": 7, "gid": 7}]' "$PG" >"$T/replicas.json"
	run "$IMPRINT" learn --merge "$T/a.json" "$T/replicas.json" -o "$T/out.json"
	assert_error learn
	assert_eq message "imprint: learn: $T/replicas.json: two containers with the same name and image digest cannot be one: container 'postgresql': the entrypoint runs as 1001:0 in one and 7:7 in the other" "$output"
	# not a file
	run "$IMPRINT" learn --merge "$T/a.json" "$T" -o "$T/out.json"
	assert_error learn
	assert_eq message "imprint: learn: $T: not a regular file" "$output"
	[ ! -e "$T/out.json" ]
	# never the bare errno text
	[[ "$output" != *"Invalid argument"* ]]
}

@test "learn: --help; usage errors exit 2 (live learning: sensor.bats)" {
	run "$IMPRINT" learn --help
	assert_status 0
	assert_contains "--image REF"
	assert_contains "--container ID --duration TIME"
	assert_contains "--merge FILE..."
	run "$IMPRINT" learn "$PG"
	assert_status 2
	assert_contains "imprint: learn: want one of --merge, --image or --container"
	assert_contains "Try 'imprint learn --help'"
	run "$IMPRINT" learn --merge
	assert_status 2
	run "$IMPRINT" learn --merge --image x "$PG"
	assert_status 2
	run "$IMPRINT" learn --container abc -o "$T/x.json"
	assert_status 2
	assert_contains "--container wants --duration"
	run "$IMPRINT" behavior-diff "$PG"
	assert_status 2
	assert_contains "want two arguments"
	run "$IMPRINT" behavior-diff --help
	assert_status 0
	assert_contains "Exit codes: 0 no differences, 1 differences, 2 error."
}

# refused FILE MESSAGE: learn --merge, behavior-diff and show refuse FILE with one line.
refused() {
	run "$IMPRINT" learn --merge "$1" -o "$T/out.json"
	assert_error learn
	assert_contains "$2"
	[ ! -e "$T/out.json" ] || fail "output written"
	run "$IMPRINT" behavior-diff "$PG" "$1"
	assert_error behavior-diff
}

@test "hostile: broken, foreign, deep and huge files are refused with one line" {
	head -c 1000 "$PG" >"$T/truncated.json"
	refused "$T/truncated.json" "truncated.json: line"
	jq '.kind = "Pod"' "$PG" >"$T/kind.json"
	refused "$T/kind.json" "kind: 'Pod' is not Fingerprint"
	jq '.containers[0].entrypoint.process.children[3].files[2].path = "relative"' "$PG" >"$T/p.json"
	refused "$T/p.json" "containers[0].entrypoint.process.children[3].files[2].path: 'relative'"
	jq '.containers[0].entrypoint.process.uid = "root"' "$PG" >"$T/uid.json"
	refused "$T/uid.json" "process.uid: not an integer"
	python3 -c 'import sys; sys.stdout.write("[" * 100000 + "]" * 100000)' >"$T/nest.json"
	refused "$T/nest.json" "maximum parsing depth"
	python3 - "$T/deep.json" <<-'EOF'
		import json, sys
		p = {"uid": 0, "gid": 0}
		for _ in range(300):
		    p = {"uid": 0, "gid": 0, "children": [p]}
		json.dump({"kind": "Fingerprint", "apiVersion": "rad.ksoc.com/v1alpha1",
		           "containers": [{"name": "c", "imageName": "i", "entrypoint": {"process": p}}]},
		          open(sys.argv[1], "w"))
	EOF
	refused "$T/deep.json" "deeper than 256 levels"
	head -c 17000000 /dev/zero | tr '\0' ' ' >"$T/huge.json"
	refused "$T/huge.json" "larger than 16 MiB"
	refused "$T/missing.json" "No such file"
}

# The `fingerprint show` dispatch lives in src/cli/fingerprint.c.
need_show() {
	need "imprint fingerprint show is not dispatched" "$IMPRINT" fingerprint show --help
}

@test "fingerprint show: a readable tree, folded nodes with their count" {
	need_show
	run "$IMPRINT" fingerprint show "$PG"
	assert_status 0
	assert_contains "container postgresql"
	assert_contains "image docker.io/bitnami/postgresql:16.1.0-debian-11-r24@sha256:1c39"
	assert_contains "└─ entrypoint.sh,postgres,run.sh  uid 1001 gid 0"
	assert_contains "├─ date ×13  uid 1001 gid 0"
	assert_contains "│ file /dev/shm/PostgreSQL.*"
	run "$IMPRINT" fingerprint show --processes "$PG"
	assert_status 0
	[[ "$output" != *" file /"* ]] || fail "--processes printed files"
	assert_contains "exec date: /bin/date '+%T.%2N '"
}

@test "fingerprint show --json is the canonical export; errors are one line" {
	need_show
	export_to "$NGINX_A" "$T/a.json"
	"$IMPRINT" fingerprint show --json "$NGINX_A" >"$T/show.json"
	cmp "$T/a.json" "$T/show.json"
	run "$IMPRINT" fingerprint show "$T/missing.json"
	assert_error "fingerprint show"
}
