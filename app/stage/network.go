package stage

import "time"

// Network is a simulated network condition: the sample site holds its
// answer back by Latency and sends its body no faster than BytesPerSecond, so
// that a slow network's stages can be seen. The page labels it simulated.
type Network struct {
	ID             string
	Latency        time.Duration
	BytesPerSecond int
}

// Networks are the presets, after the browsers' developer tools' own.
var Networks = []Network{
	{ID: ""},
	{ID: "fast-3g", Latency: 560 * time.Millisecond, BytesPerSecond: 180_000},
	{ID: "slow-3g", Latency: 2 * time.Second, BytesPerSecond: 50_000},
}

// NetworkOf returns the preset with an id, and whether there is one.
func NetworkOf(id string) (Network, bool) {
	for _, n := range Networks {
		if n.ID == id {
			return n, true
		}
	}
	return Network{}, false
}
