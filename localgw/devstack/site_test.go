package devstack_test

import (
	"bytes"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"testing"

	"github.com/serverless-tictactoe/tictactoe/frontend"
	"github.com/serverless-tictactoe/tictactoe/frontend/sitebuild"
)

// TestSiteIsTheBuiltSite: by default the local stack serves the site as it ships (built by
// frontend/sitebuild, as the CDK app stages it), so the browser tests run what players get.
func TestSiteIsTheBuiltSite(t *testing.T) {
	built, err := sitebuild.Build(frontend.Site())
	if err != nil {
		t.Fatal(err)
	}
	st := startStack(t, nil)
	for _, tc := range []struct{ path, contentType string }{
		{"index.html", "text/html"},
		{"js/main.mjs", "text/javascript"},
		{"js/words.mjs", "text/javascript"},
		{"css/site.css", "text/css"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			want, err := fs.ReadFile(built, tc.path)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.Get(st.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusOK || !bytes.Equal(got, want) {
				t.Errorf("/%s: %s, %d B; want the built file, %d B", tc.path, resp.Status, len(got), len(want))
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tc.contentType) {
				t.Errorf("/%s: Content-Type %q, want %s", tc.path, ct, tc.contentType)
			}
		})
	}
}
