package lucidauth

// Unexported parts of the stats that the tests of package lucidauth_test reach.

// StatNameAt is lucid_stat_name, one number at a time.
var StatNameAt = statNameAt

// StatFieldNames lists the counter names the binding has a Stats field for.
func StatFieldNames() []string {
	names := make([]string, 0, len(statFields))
	for name := range statFields {
		names = append(names, name)
	}
	return names
}

// SetStatField sets the Stats field of counter name to v, as Stats does; false when the binding
// has no field for it.
func SetStatField(s *Stats, name string, v uint64) bool {
	set := statFields[name]
	if set == nil {
		return false
	}
	set(s, v)
	return true
}
