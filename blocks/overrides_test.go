package blocks

import (
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"
)

type overlaid struct {
	Name    *string
	Size    *float64
	Owned   *string
	Tags    *[]*string
	private string
}

func TestOverlay(t *testing.T) {
	base := overlaid{Name: jsii.String("base"), Size: jsii.Number(1), Owned: jsii.String("mine"), private: "kept"}
	for _, tt := range []struct {
		name     string
		extra    *overlaid
		wantName string
		wantSize float64
		wantTags int
		wantErr  string
	}{
		{"nil changes nothing", nil, "base", 1, 0, ""},
		{"an empty struct changes nothing", &overlaid{}, "base", 1, 0, ""},
		{"a set field wins over the construct's default", &overlaid{Size: jsii.Number(4)}, "base", 4, 0, ""},
		{"a field the construct left unset is taken", &overlaid{Tags: &[]*string{jsii.String("a")}}, "base", 1, 1, ""},
		{"an owned field is refused, by name", &overlaid{Owned: jsii.String("theirs"), Size: jsii.Number(4)}, "", 0, 0, "Props sets Owned"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := overlay(base, tt.extra, "Props", "Owned")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *got.Name != tt.wantName || *got.Size != tt.wantSize || *got.Owned != "mine" || got.private != "kept" {
				t.Errorf("got %s %v %s %q", *got.Name, *got.Size, *got.Owned, got.private)
			}
			if tt.wantTags > 0 && (got.Tags == nil || len(*got.Tags) != tt.wantTags) {
				t.Errorf("Tags = %v, want %d", got.Tags, tt.wantTags)
			}
		})
	}
	if *base.Size != 1 {
		t.Errorf("overlay changed the caller's base: Size %v", *base.Size)
	}
}
