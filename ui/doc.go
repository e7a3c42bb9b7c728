// Package ui is leasetop's terminal interface, built on Bubble Tea v2.
//
// # Shape
//
// The root model (app.go) holds the screens, at most one dialog over them,
// and one shared context, Common (common.go): what components draw with
// (styles, keys, the clock, the terminal size, the context of Vault
// calls) and, beside it, the data they read and change (domainData): the
// crawl engine (the lease index, its walks and their policy, the churn,
// the owners from the audit log, and the selected prefix, its focus:
// package crawl), the Vault backend, the token's capabilities and info,
// the mounts, the marks and this session's revocations. Everything else
// is a component that keeps its own state:
//
//	screen.go          the Screen interface and the registry of screens
//	browser.go         the home screen: tree.go beside table.go
//	radar.go           what expires within a window, with a timeline
//	irrevocable.go     the leases Vault gave up revoking
//	actions.go         the typed operations and the one guard they pass
//	action_lease.go    renew, revoke, force-revoke by id: one call per lease
//	action_prefix.go   revoke-prefix and force, then following the prefix
//	crawl.go           the engine's tasks as commands, its events as status
//	status.go          the title bar, status bar, help line and help
//	keys.go            the one keymap, and KeyAction: what a screen declares
//	                   of its keys, which writes its help line and the help
//	dialog/            confirm, typed confirm and duration prompt (one
//	                   input box), text
//	list/              the id-bound cursor of every list
//	theme/             colours and drawing helpers
//
// A new screen is one file with a constructor that declares its key
// actions, and one row in the registry in screen.go naming the keys that
// open it.
//
// # Message flow
//
//	key ─▶ root ─▶ dialog (when one is open) or screen ─▶ tea.Cmd
//	tea.Cmd ─▶ Backend (Vault, with the root context) ─▶ message
//	message ─▶ root ─▶ engine (crawl), action, or screens ─▶ Sync ─▶ View
//
// The root offers a key to the open dialog first, then to the global keys
// (quit, help, the registry's screen keys), then to the active screen.
// Vault is only ever called inside commands, never in Update or View, and
// every call takes the root context, which quitting cancels. The engine
// changes the index only when the root hands it a task's answer, on the
// update loop, so View reads it without a lock or a copy. After each
// message the active screen's Sync brings its rows up to date with the
// index (sorting only when the index, the query or the prefix changed),
// and returns what takes longer (a big sort) as a command, so View only
// draws.
//
// A destructive action captures its lease ids or prefix when its key is
// pressed; a refresh that moves rows while its dialog is open cannot
// change what it acts on.
package ui
