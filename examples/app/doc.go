// Package app is the example app of issue #17, written against the public
// API from the package docs alone: two devices on SQLite, Alice and Bob,
// set up with package prekey and a stand-in server that hands out their
// bundles as Signal-Server's JSON; a v4 (PQXDH) session, twenty messages
// each way, a restart of both devices, Bob re-registering with a new
// identity (which Alice's user accepts after comparing safety numbers), and
// a three-member sender-key group with Carol. It is all in app_test.go and
// runs with go test.
package app
