package apigw_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"

	"github.com/serverless-tictactoe/tictactoe/lambda/connections"
	"github.com/serverless-tictactoe/tictactoe/lambda/connections/apigw"
	"github.com/serverless-tictactoe/tictactoe/lambda/connections/connectionstest"
)

func TestSendPostsSignedFrame(t *testing.T) {
	srv := connectionstest.New(t)
	s := apigw.NewAPIGatewaySender(srv.Client())
	if err := s.Send(context.Background(), "L0SM9cOFvHcCIhw=", []byte(`{"type":"room"}`)); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if f := srv.Frames(t, "L0SM9cOFvHcCIhw="); len(f) != 1 || f[0]["type"] != "room" {
		t.Fatalf("frames %v", f)
	}
	if !srv.AllSigned() {
		t.Fatal("posts must be SigV4-signed like on AWS")
	}
}

func TestSendGone(t *testing.T) {
	srv := connectionstest.New(t)
	srv.SetGone("c1")
	err := apigw.NewAPIGatewaySender(srv.Client()).Send(context.Background(), "c1", []byte(`{}`))
	if !errors.Is(err, connections.ErrGone) {
		t.Fatalf("410 = %v, want ErrGone", err)
	}
}

func TestSendOtherFailuresAreNotGone(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"forbidden", http.StatusForbidden, `{"message":"Forbidden"}`},
		{"payload too large", http.StatusRequestEntityTooLarge, `{"message":"too large"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer hs.Close()
			client := apigatewaymanagementapi.New(apigatewaymanagementapi.Options{
				Region: "us-east-1", BaseEndpoint: aws.String(hs.URL),
				Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""),
			})
			err := apigw.NewAPIGatewaySender(client).Send(context.Background(), "c1", []byte(`{}`))
			if err == nil || errors.Is(err, connections.ErrGone) {
				t.Fatalf("got %v, want a non-gone error", err)
			}
		})
	}
}
