package session

import "strconv"

// Address names one device of a peer: the peer's name (for Signal, a service
// id such as a UUID; for other apps, any stable account name) and its device
// id.
type Address struct {
	Name     string
	DeviceID uint32
}

// String returns "name.device", the form libsignal uses.
func (a Address) String() string { return a.Name + "." + strconv.FormatUint(uint64(a.DeviceID), 10) }
