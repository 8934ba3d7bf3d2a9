package accountrole

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
)

// fakeAccount is API Gateway's account resource as its REST API serves it: GET /account, and
// PATCH /account with patch operations, refusing the first refuse PATCHes as API Gateway
// refuses a role IAM has not propagated yet.
type fakeAccount struct {
	mu      sync.Mutex
	role    string
	patches int
	refuse  int
}

func (f *fakeAccount) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.URL.Path != "/account" {
		http.NotFound(w, r)
		return
	}
	switch r.Method {
	case http.MethodGet:
	case http.MethodPatch:
		f.patches++
		if f.refuse > 0 {
			f.refuse--
			w.Header().Set("X-Amzn-Errortype", "BadRequestException")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"message":"The role ARN does not have required permissions set to API Gateway"}`)
			return
		}
		var body struct {
			PatchOperations []struct{ Op, Path, Value string } `json:"patchOperations"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.PatchOperations) != 1 ||
			body.PatchOperations[0].Op != "replace" || body.PatchOperations[0].Path != "/cloudwatchRoleArn" {
			w.Header().Set("X-Amzn-Errortype", "BadRequestException")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"message":"bad patch"}`)
			return
		}
		f.role = body.PatchOperations[0].Value
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	out := map[string]any{"throttleSettings": map[string]any{"burstLimit": 5000, "rateLimit": 10000}}
	if f.role != "" {
		out["cloudwatchRoleArn"] = f.role
	}
	json.NewEncoder(w).Encode(out)
}

func handler(t *testing.T, f *fakeAccount) *Handler {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	client := apigateway.New(apigateway.Options{
		Region:       "eu-west-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		HTTPClient:   srv.Client(),
	})
	return &Handler{API: client, Log: slog.New(slog.DiscardHandler), Retries: 3, Wait: time.Millisecond}
}

const ours = "arn:aws:iam::123456789012:role/TicTacToe-Dev-Realtime-ApiCloudWatchRole"

func event(kind cfn.RequestType) cfn.Event {
	return cfn.Event{RequestType: kind, ResourceProperties: map[string]any{PropertyRoleArn: ours}}
}

func TestSetsTheRoleOnlyWhenNoneIsSet(t *testing.T) {
	const theirs = "arn:aws:iam::123456789012:role/landing-zone-apigw-logs"
	tests := []struct {
		name        string
		kind        cfn.RequestType
		before      string
		refuse      int
		wantRole    string
		wantOutcome any
		wantPatches int
	}{
		{"a fresh account: set", cfn.RequestCreate, "", 0, ours, OutcomeSet, 1},
		{"a landing zone's role: kept", cfn.RequestCreate, theirs, 0, theirs, OutcomeKept, 0},
		{"ours already: nothing to do", cfn.RequestUpdate, ours, 0, ours, OutcomeOurs, 0},
		{"set by someone since: kept on update", cfn.RequestUpdate, theirs, 0, theirs, OutcomeKept, 0},
		{"a new role IAM has not propagated yet: retried", cfn.RequestCreate, "", 2, ours, OutcomeSet, 3},
		{"delete leaves ours in place", cfn.RequestDelete, ours, 0, ours, nil, 0},
		{"delete leaves theirs in place", cfn.RequestDelete, theirs, 0, theirs, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeAccount{role: tt.before, refuse: tt.refuse}
			id, data, err := handler(t, f).Handle(context.Background(), event(tt.kind))
			if err != nil {
				t.Fatal(err)
			}
			if id != PhysicalID || f.role != tt.wantRole || f.patches != tt.wantPatches || data["Outcome"] != tt.wantOutcome {
				t.Errorf("id %s, role %q, %d patches, outcome %v; want role %q, %d patches, %v", id, f.role, f.patches, data["Outcome"], tt.wantRole, tt.wantPatches, tt.wantOutcome)
			}
		})
	}
}

func TestFailsClearly(t *testing.T) {
	f := &fakeAccount{refuse: 10}
	if _, _, err := handler(t, f).Handle(context.Background(), event(cfn.RequestCreate)); err == nil || f.role != "" {
		t.Fatalf("err %v, role %q: a role API Gateway keeps refusing must fail the resource", err, f.role)
	}
	bad := cfn.Event{RequestType: cfn.RequestCreate, ResourceProperties: map[string]any{PropertyRoleArn: "not-an-arn"}}
	if _, _, err := handler(t, &fakeAccount{}).Handle(context.Background(), bad); err == nil {
		t.Fatal("a bad role property must fail")
	}
}
