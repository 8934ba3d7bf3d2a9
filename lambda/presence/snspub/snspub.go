// Package snspub publishes presence events to an SNS topic. It is apart from package presence
// so that the route functions, which use presence only to log events locally, do not link the
// SNS client.
package snspub

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/serverless-tictactoe/tictactoe/lambda/presence"
	"github.com/serverless-tictactoe/tictactoe/lambda/presence/eventtype"
)

// PublishAPI is the part of *sns.Client the SNS publisher uses.
type PublishAPI interface {
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// SNSPublisher publishes each event as one message to a topic.
type SNSPublisher struct {
	api   PublishAPI
	topic string
}

var _ presence.Publisher = (*SNSPublisher)(nil)

// New publishes to the topic with ARN topicARN.
func New(api PublishAPI, topicARN string) *SNSPublisher {
	return &SNSPublisher{api: api, topic: topicARN}
}

// Publish sends e as JSON, with its type and room as message attributes and a subject an email
// reader understands.
func (p *SNSPublisher) Publish(ctx context.Context, e presence.Event) error {
	body, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encoding %s event: %w", e.Type, err)
	}
	_, err = p.api.Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(p.topic),
		Subject:  aws.String(presence.Subject(e)),
		Message:  aws.String(string(body)),
		MessageAttributes: map[string]types.MessageAttributeValue{
			eventtype.Attribute:     {DataType: aws.String("String"), StringValue: aws.String(string(e.Type))},
			eventtype.RoomAttribute: {DataType: aws.String("String"), StringValue: aws.String(e.Room)},
		},
	})
	if err != nil {
		return fmt.Errorf("publishing %s for room %s: %w", e.Type, e.Room, err)
	}
	return nil
}
