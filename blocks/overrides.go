package blocks

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/aws/jsii-runtime-go"
)

// orString is s, or def when s is nil.
func orString(s *string, def string) *string {
	if s == nil {
		return &def
	}
	return s
}

// named is text about an app's resource, after the app's name when it has one ("TicTacToe
// site"), else with its first letter capitalized ("Site").
func named(name *string, text string) *string {
	if name == nil || *name == "" {
		return jsii.String(strings.ToUpper(text[:1]) + text[1:])
	}
	return jsii.String(*name + " " + text)
}

// overlay is the escape hatch of a construct that wraps one L2: it returns base (the props the
// construct made, its defaults and its own props applied) with every field that extra sets
// (non-nil, non-zero) put over base's. The fields in owned are what the construct itself must
// decide (its code, its role, its key schema…): extra setting one is an error that names it
// and what to do instead, never a silent drop. base and extra are the same struct type; a nil
// extra changes nothing.
func overlay[T any](base T, extra *T, field string, owned ...string) (T, error) {
	if extra == nil {
		return base, nil
	}
	out := reflect.ValueOf(&base).Elem()
	in := reflect.ValueOf(extra).Elem()
	var refused []string
	for i := range in.NumField() {
		v := in.Field(i)
		if !in.Type().Field(i).IsExported() || v.IsZero() {
			continue
		}
		name := in.Type().Field(i).Name
		if slices.Contains(owned, name) {
			refused = append(refused, name)
			continue
		}
		out.Field(i).Set(v)
	}
	if len(refused) > 0 {
		return base, fmt.Errorf("%s sets %s, which the construct decides itself (%s): use the construct's own props, or change the L2 it exposes after it is made",
			field, strings.Join(refused, ", "), strings.Join(owned, ", "))
	}
	return base, nil
}
