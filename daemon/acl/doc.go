// Package acl is Redis 7.0.15's access control lists as a pure library:
// users and their rules, the permission check run before every command,
// the ACL LOG, ACL CAT and GENPASS data, and the ACL file format. The
// server wires it to connections and commands; this package does no I/O
// except reading and writing the ACL file when asked (Users.LoadFile,
// Users.SaveFile).
//
// Main types:
//
//   - Catalog: the commands rules can name ("get", "config|get"), each with
//     an id and its ACL categories, built from the server's command table.
//   - Users: the registry (ACL SETUSER, DELUSER, LIST, USERS, LOAD, SAVE,
//     requirepass, users declared in the configuration). It always holds
//     "default".
//   - User: a stable handle on one user: Check (permission check), Describe
//     (ACL LIST), Info (ACL GETUSER), CheckPassword.
//   - Log: the ACL LOG, with Redis's grouping of repeated denials.
//
// Texts are Redis's, byte for byte, including its quirks: a rule is cut at
// a NUL byte wherever Redis reads it as a C string, ACL files are split on
// single spaces while configuration lines use SplitArgs, and ACL LIST
// rebuilds command rules from permission bits (+@all or -@all, then the
// best-fitting categories, then single commands). The one deliberate
// difference: Redis prints single command rules in hash-table order, which
// changes with every process start; this package prints them in the
// catalog's walk order (by name, subcommands after their container).
//
// Concurrency: everything is safe for concurrent use. A User's permissions
// are an immutable snapshot swapped atomically, so checks never block and
// always see either the old or the new rules of an ACL SETUSER.
package acl
