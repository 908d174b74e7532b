// Package config reads and writes a peer's files: its configuration, the
// network's genesis, the institution's key and the subject secret.
//
// # Home layout
//
// A peer keeps everything in one home directory (see Home):
//
//	<home>/config.toml     Config: name, [p2p], [api], [store], [log],   0600
//	                       [recovery], [query]
//	<home>/genesis.json    Genesis: network ID, members, parameters     0644
//	<home>/key             the institution's Ed25519 key, PKCS #8 PEM    0600
//	<home>/subject.secret  the network's subject secret, hex            0600
//	<home>/data/           the database                                 0700
//
// Home.Init creates a new institution's home: directory, key, secret and a
// default config. The genesis comes from the network (one member writes it
// with NewGenesis and WriteGenesis and hands it to the others), and so does
// the subject secret, which every member must share.
//
// # Configuration precedence
//
// Each setting is taken from the first of these that sets it, last first:
//
//  1. command-line flags, applied by the caller after Load (then Validate
//     again);
//  2. environment variables CREDMESH_<SECTION>_<KEY>, upper-cased
//     (CREDMESH_API_LISTEN, CREDMESH_LOG_LEVEL, CREDMESH_NAME;
//     lists comma-separated, as in CREDMESH_P2P_LISTEN), see ApplyEnv;
//  3. config.toml;
//  4. Default.
//
// Load applies 4, 3 and 2 and validates. Unknown keys in config.toml are
// refused, as are JSON fields genesis.json does not define. A caller that
// applies flags records them in a Sources (EnvSources, SetBy) and passes
// Validate's error through Sources.Blame, so an error names the variable
// or flag that set a value rather than the file. UnknownEnv lists the
// CREDMESH_ variables that are no key (nor CREDMESH_HOME), each with the
// closest known name, for the caller to warn about.
//
// Validate checks what any peer needs; CheckDialable adds what a network
// needs of a member's config (no port 0), and Genesis.CheckNew what a new
// genesis should not have (two members of one name, port 0): init and
// genesis new refuse those, while an existing network's genesis is still
// read as it is.
//
// # Errors
//
// A bad value is reported as a *FieldError naming the file (or the
// environment variable), the field and, where the decoder knows it, the
// line and column:
//
//	config.toml:7:1: p2p.maxpeers: unknown key (known here: listen, bootstrap, max_peers)
//	config.toml: api.token: required when api.listen (0.0.0.0:7680) is not a loopback address
//	genesis.json:14:13: members[2].id: "Qm..." is not a peer ID: ...
//
// Every such error wraps ErrInvalid. Validate reports all problems at once,
// joined with errors.Join.
//
// # Identity
//
// An institution is an Ed25519 key. Its libp2p peer ID embeds the public
// key, which is also its chain.IssuerID; package internal/peerid converts
// between the two (p2p and queryproto use it too), and members of a
// genesis must have peer IDs of Ed25519 keys. The SHA-256 of the genesis file's exact
// bytes (Genesis.Hash) is the network's identity: reformatting the file
// makes another network. That stays so (genesis_form.go says why);
// Genesis.FormDifference tells a file that is not byte for byte what
// credmesh writes, and where it differs, so the peer can warn about it.
// Home.LoadGenesis words a missing or damaged genesis as something to copy
// from another member, never to make anew.
//
// # Permissions and writes
//
// The key and the subject secret must be readable by their owner only:
// LoadKey and LoadSecret refuse a file whose mode grants group or others
// any access, like ssh does, naming the mode and the chmod to run (the
// error wraps ErrPermissions). WriteKey and WriteSecret create such files
// with mode 0600 and never replace an existing file (the error wraps
// fs.ErrExist). Load refuses, the same way, a config.toml that group or
// others may write (it says where the peer listens and whom it dials) or,
// when it holds api.token, read. The store creates data/ with mode 0700;
// Home.CheckDataDir warns of one that group or others may enter.
//
// Every file is written atomically: the bytes go to a temporary file in
// the same directory, which is fsynced and then renamed (or, for files that
// must not be replaced, hard-linked) to its name, and the directory is
// fsynced. A crash leaves the old file or the new one, never half of one,
// and no temporary file stays behind after a call returns.
package config
