package load

import (
	"fmt"
	"os"
)

// setenv applies one of devstack.LocalAWSEnv's settings (empty unsets).
func setenv(k, v string) error {
	var err error
	if v == "" {
		err = os.Unsetenv(k)
	} else {
		err = os.Setenv(k, v)
	}
	if err != nil {
		return fmt.Errorf("setting %s: %w", k, err)
	}
	return nil
}
