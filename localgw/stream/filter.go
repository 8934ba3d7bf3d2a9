package stream

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/aws/aws-lambda-go/events"
)

// Match reports whether a Lambda event filter pattern matches a stream record, as Lambda
// matches it against the record's JSON: every field of the pattern must match. A field's
// pattern is an object (the record's field must be an object it matches) or a list of which
// one must match: a value equal to the record's, or {"exists": false} / {"exists": true} on a
// leaf (Lambda matches exists on leaves only). Any other operator, or exists met on an object,
// is an error rather than a silent mismatch.
func Match(pattern map[string]any, rec events.DynamoDBEventRecord) (bool, error) {
	raw, err := json.Marshal(rec)
	if err != nil {
		return false, fmt.Errorf("encoding record %s: %w", rec.EventID, err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return false, err
	}
	// The pattern as JSON would have it: numbers as float64, lists as []any.
	raw, err = json.Marshal(pattern)
	if err != nil {
		return false, fmt.Errorf("encoding the pattern: %w", err)
	}
	var p map[string]any
	if err := json.Unmarshal(raw, &p); err != nil {
		return false, err
	}
	return matchObject(p, doc)
}

func matchObject(pattern, doc map[string]any) (bool, error) {
	for field, sub := range pattern {
		v, present := doc[field]
		switch s := sub.(type) {
		case map[string]any:
			// Lambda matches the flattened leaves: under an absent field every leaf is absent
			// (which {"exists": false} matches), a field that is not an object has none.
			obj, ok := v.(map[string]any)
			if !present {
				obj, ok = map[string]any{}, true
			}
			if !ok {
				return false, nil
			}
			m, err := matchObject(s, obj)
			if err != nil || !m {
				return false, err
			}
		case []any:
			m, err := matchAny(s, v, present)
			if err != nil || !m {
				return false, err
			}
		default:
			return false, fmt.Errorf("field %s: a pattern's value is an object or a list, not %v", field, sub)
		}
	}
	return true, nil
}

// matchAny reports whether one of the rules matches the value (absent unless present).
func matchAny(rules []any, v any, present bool) (bool, error) {
	for _, rule := range rules {
		switch r := rule.(type) {
		case map[string]any:
			exists, ok := r["exists"].(bool)
			if len(r) != 1 || !ok {
				return false, fmt.Errorf("the rule %v is not supported here (only equality and exists)", r)
			}
			if _, object := v.(map[string]any); object {
				// Lambda matches exists on leaves only: on an object it is not what it says.
				return false, fmt.Errorf("the rule %v is on an object, not a leaf: Lambda does not match exists there (put it on the attribute's type, {\"S\": [%v]})", r, r)
			}
			if exists == present {
				return true, nil
			}
		default:
			if present && reflect.DeepEqual(r, v) {
				return true, nil
			}
		}
	}
	return false, nil
}
