// Package userdatatest runs the web frontend's real EC2 user data (frontend.UserData) on this
// machine: in a throwaway root, with shims only for dnf, systemctl and the AWS CLI's S3
// download, instance metadata from AWS's IMDS emulator (amazon-ec2-metadata-mock, a Go tool
// dependency, IMDSv2 required), and Debian's real nginx serving the result on a loopback port.
// It holds tests only; docs/frontend-instances.md says what they prove.
package userdatatest
