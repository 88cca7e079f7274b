package omemo_test

import (
	"fmt"
	"log"

	"github.com/forwardsecret/signal/omemo"
)

// A device list is what a client publishes in its account's devices node
// and reads from its contacts'. Adding this device means publishing the
// list with its id added.
func ExampleDeviceList() {
	got, err := omemo.ParseDeviceList([]byte(`<devices xmlns='urn:xmpp:omemo:2'><device id='12345' label='Phone'/><device id='4223'/></devices>`))
	if err != nil {
		log.Fatal(err)
	}
	got.Devices = append(got.Devices, omemo.Device{ID: 31415, Label: "Go bot"})
	x, err := got.XML()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(x))

	legacy := omemo.DeviceList{Version: omemo.V03, Devices: []omemo.Device{{ID: 31415}}}
	x, _ = legacy.XML()
	fmt.Println(string(x))
	// Output:
	// <devices xmlns='urn:xmpp:omemo:2'><device id='12345' label='Phone'/><device id='4223'/><device id='31415' label='Go bot'/></devices>
	// <list xmlns='eu.siacs.conversations.axolotl'><device id='31415'/></list>
}
