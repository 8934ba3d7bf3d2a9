package accountrole

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// fakeAccount is API Gateway's account resource as its REST API serves it: GET /account, and
// PATCH /account with patch operations, refusing the first refuse PATCHes as API Gateway
// refuses a role IAM has not propagated yet.
type fakeAccount struct {
	mu      sync.Mutex
	role    string
	patches int
	refuse  int
	denied  int // the first GETs refused as while the function's own permissions propagate
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
		if f.denied > 0 {
			f.denied--
			w.Header().Set("X-Amzn-Errortype", "AccessDeniedException")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"message":"User is not authorized to perform: apigateway:GET"}`)
			return
		}
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

// fakeIAM is IAM's query API for GetRole: the roles that exist, or a refusal of every call.
type fakeIAM struct {
	mu     sync.Mutex
	roles  map[string]bool
	denied bool
	asked  []string
}

func (f *fakeIAM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := r.ParseForm(); err != nil || r.Form.Get("Action") != "GetRole" {
		http.Error(w, "unexpected IAM call", http.StatusBadRequest)
		return
	}
	name := r.Form.Get("RoleName")
	f.asked = append(f.asked, name)
	w.Header().Set("Content-Type", "text/xml")
	fail := func(status int, code, msg string) {
		w.WriteHeader(status)
		fmt.Fprintf(w, `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>1</RequestId></ErrorResponse>`, code, msg)
	}
	switch {
	case f.denied:
		fail(http.StatusForbidden, "AccessDenied", "not authorized to perform: iam:GetRole")
	case !f.roles[name]:
		fail(http.StatusNotFound, "NoSuchEntity", "The role with name "+name+" cannot be found.")
	default:
		fmt.Fprintf(w, `<GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetRoleResult><Role><Path>/</Path><RoleName>%s</RoleName><RoleId>AROAEXAMPLE</RoleId><Arn>arn:aws:iam::123456789012:role/%s</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate></Role></GetRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetRoleResponse>`, name, name)
	}
}

func handler(t *testing.T, f *fakeAccount, roles *fakeIAM) *Handler {
	t.Helper()
	creds := credentials.NewStaticCredentialsProvider("test", "test", "")
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	client := apigateway.New(apigateway.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL), Credentials: creds, HTTPClient: srv.Client(),
	})
	if roles == nil {
		roles = &fakeIAM{roles: map[string]bool{"landing-zone-apigw-logs": true, "TicTacToe-Dev-Realtime-ApiCloudWatchRole": true}}
	}
	iamSrv := httptest.NewServer(roles)
	t.Cleanup(iamSrv.Close)
	iamClient := iam.New(iam.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(iamSrv.URL), Credentials: creds, HTTPClient: iamSrv.Client(),
	})
	return &Handler{API: client, IAM: iamClient, Log: slog.New(slog.DiscardHandler), Retries: 3, Wait: time.Millisecond}
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
		{"a deleted role: replaced", cfn.RequestUpdate, "arn:aws:iam::123456789012:role/gone/deleted-app-role", 0, ours, OutcomeReplaced, 1},
		{"another account's role: kept, not asked about", cfn.RequestCreate, "arn:aws:iam::210987654321:role/deleted-app-role", 0, "arn:aws:iam::210987654321:role/deleted-app-role", OutcomeKept, 0},
		{"delete leaves ours in place", cfn.RequestDelete, ours, 0, ours, nil, 0},
		{"delete leaves theirs in place", cfn.RequestDelete, theirs, 0, theirs, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeAccount{role: tt.before, refuse: tt.refuse}
			id, data, err := handler(t, f, nil).Handle(context.Background(), event(tt.kind))
			if err != nil {
				t.Fatal(err)
			}
			if id != PhysicalID || f.role != tt.wantRole || f.patches != tt.wantPatches || data["Outcome"] != tt.wantOutcome {
				t.Errorf("id %s, role %q, %d patches, outcome %v; want role %q, %d patches, %v", id, f.role, f.patches, data["Outcome"], tt.wantRole, tt.wantPatches, tt.wantOutcome)
			}
		})
	}
}

// Out of time, it stops retrying while it can still answer CloudFormation.
func TestGivesUpBeforeTheTimeout(t *testing.T) {
	f := &fakeAccount{refuse: 1000}
	h := handler(t, f, nil)
	h.Retries, h.Wait = 1000, 20*time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), answerTime+200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := h.Handle(ctx, event(cfn.RequestCreate))
	if err == nil || !strings.Contains(err.Error(), "out of time") || ctx.Err() != nil {
		t.Fatalf("err %v after %v (context %v): want an 'out of time' failure before the deadline", err, time.Since(start), ctx.Err())
	}
}

func TestFailsClearly(t *testing.T) {
	f := &fakeAccount{refuse: 10}
	if _, _, err := handler(t, f, nil).Handle(context.Background(), event(cfn.RequestCreate)); err == nil || f.role != "" {
		t.Fatalf("err %v, role %q: a role API Gateway keeps refusing must fail the resource", err, f.role)
	}
	bad := cfn.Event{RequestType: cfn.RequestCreate, ResourceProperties: map[string]any{PropertyRoleArn: "not-an-arn"}}
	if _, _, err := handler(t, &fakeAccount{}, nil).Handle(context.Background(), bad); err == nil {
		t.Fatal("a bad role property must fail")
	}
}

// When IAM cannot say a role is gone, it stays; when this function's own permissions are not in
// effect yet, it waits for them.
func TestDoubtKeepsTheRoleSet(t *testing.T) {
	const gone = "arn:aws:iam::123456789012:role/deleted-app-role"
	roles := &fakeIAM{denied: true}
	f := &fakeAccount{role: gone, denied: 2}
	_, data, err := handler(t, f, roles).Handle(context.Background(), event(cfn.RequestCreate))
	if err != nil {
		t.Fatal(err)
	}
	if f.role != gone || f.patches != 0 || data["Outcome"] != OutcomeKept || len(roles.asked) != 1 || roles.asked[0] != "deleted-app-role" {
		t.Errorf("role %q, %d patches, outcome %v, IAM asked %q; want the role kept after one GetRole of deleted-app-role", f.role, f.patches, data["Outcome"], roles.asked)
	}
}

func TestRoleOf(t *testing.T) {
	tests := []struct{ arn, account, name string }{
		{"arn:aws:iam::123456789012:role/a", "123456789012", "a"},
		{"arn:aws-cn:iam::123456789012:role/service-role/path/b", "123456789012", "b"},
		{"arn:aws:iam::123456789012:user/c", "", ""},
		{"arn:aws:iam::123456789012:role/", "", ""},
		{"not-an-arn", "", ""},
	}
	for _, tt := range tests {
		account, name, ok := roleOf(tt.arn)
		if account != tt.account && ok || name != tt.name || ok != (tt.name != "") {
			t.Errorf("roleOf(%q) = %q, %q, %v; want %q, %q", tt.arn, account, name, ok, tt.account, tt.name)
		}
	}
}
