// Package region holds what the functions of a multi-Region deployment agree on without asking
// each other (docs/regions.md): how a connection's identity says which Region's API holds it,
// and which Region a room code is homed in before anything is read.
//
// In one Region nothing here applies: connection IDs are API Gateway's own and rooms carry no
// home, as before the setting existed.
package region

import (
	"hash/fnv"
	"regexp"
	"strings"
)

// sep joins a Region to an API Gateway connection ID. API Gateway's IDs are URL-safe base64
// ("GXLKAe7jFiACGgQ="), which never holds it.
const sep = "~"

// nameRE is an AWS Region name (us-east-1), or a local stand-in (local-1).
var nameRE = regexp.MustCompile(`^[a-z]{2,}(-[a-z0-9]+)+$`)

// Valid reports whether name is a Region's name.
func Valid(name string) bool { return nameRE.MatchString(name) }

// Qualify is connection id of Region r as the game stores it: r~id. For r empty (one Region,
// or the primary of several) it is id itself.
func Qualify(r, id string) string {
	if r == "" {
		return id
	}
	return r + sep + id
}

// Split is the Region and API Gateway's own id of a stored connection id; an unqualified id
// (stored in one Region, before a second was added) has Region "".
func Split(id string) (r, raw string) {
	if i := strings.Index(id, sep); i > 0 && Valid(id[:i]) {
		return id[:i], id[i+len(sep):]
	}
	return "", id
}

// HomeOf is the Region a room with code was created in, when regions (in the deployment's
// order) were the deployment's: the first place to look for it. A room created under other
// Regions, or taken over since, says its real home in its item.
func HomeOf(code string, regions []string) string {
	if len(regions) == 0 {
		return ""
	}
	h := fnv.New32a()
	h.Write([]byte(strings.ToUpper(code)))
	return regions[h.Sum32()%uint32(len(regions))]
}
