package userdatatest

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/serverless-tictactoe/tictactoe/frontend"
	"github.com/serverless-tictactoe/tictactoe/frontend/sitebuild"
)

// What the IMDS emulator is configured to answer: values no default could produce.
const (
	emulatedInstanceID = "i-0d1e2a3d4b5e6f708"
	emulatedZone       = "eu-west-3b"
	emulatedRegion     = "eu-west-3"
)

// tools are the real programs the tests run, beyond bash: nginx and what the script itself
// calls (unzip, curl). `make test` installs nginx and unzip.
type tools struct{ nginx string }

// requireTools finds the tools or stops the test: FAIL under CI=true, SKIP otherwise.
func requireTools(t *testing.T) tools {
	t.Helper()
	var missing []string
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		nginx = "/usr/sbin/nginx" // Debian's, off a non-root PATH
		if _, err := os.Stat(nginx); err != nil {
			missing = append(missing, "nginx")
		}
	}
	for _, name := range []string{"bash", "unzip", "curl", "sha256sum"} {
		if _, err := exec.LookPath(name); err != nil {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("needs %s on this machine (`make test` installs them: apt-get install nginx unzip curl)", strings.Join(missing, ", "))
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return tools{nginx: nginx}
}

var emulatorBin = sync.OnceValues(func() (string, error) {
	goBin, err := exec.LookPath("go") // go test puts its own GOROOT/bin first on PATH
	if err != nil {
		return "", fmt.Errorf("building the IMDS emulator needs the go command: %w", err)
	}
	// `go tool -n` builds the tool into the Go build cache once and prints its path.
	out, err := exec.Command(goBin, "tool", "-n", "github.com/aws/amazon-ec2-metadata-mock/cmd").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("go tool -n amazon-ec2-metadata-mock: %w\n%s", err, ee.Stderr)
		}
		return "", fmt.Errorf("go tool -n amazon-ec2-metadata-mock: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
})

// startIMDS runs AWS's EC2 metadata emulator on a loopback port and returns its endpoint. With
// v2Only it refuses any metadata request without an IMDSv2 session token, as EC2 does with
// HttpTokens=required (the frontend's launch template sets it).
func startIMDS(t *testing.T, v2Only bool) string {
	t.Helper()
	bin, err := emulatorBin()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "aemm-config.json")
	values := map[string]any{"metadata": map[string]any{"values": map[string]string{
		"instance-id":                 emulatedInstanceID,
		"placement-availability-zone": emulatedZone,
		"placement-region":            emulatedRegion,
	}}}
	b, err := json.Marshal(values)
	if err != nil {
		t.Fatalf("encoding the emulator config: %v", err)
	}
	if err := os.WriteFile(cfg, b, 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	args := []string{"--hostname", "127.0.0.1", "--port", port, "--config-file", cfg}
	if v2Only {
		args = append(args, "--imdsv2")
	}
	logf, err := os.Create(filepath.Join(dir, "aemm.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, logf, logf
	cmd.Env = append(os.Environ(), "HOME="+dir)
	exited := startProcess(t, cmd, "IMDS emulator", syscall.SIGKILL)
	endpoint := "http://127.0.0.1:" + port
	waitReady(t, "IMDS emulator", exited, filepath.Join(dir, "aemm.log"), func() bool {
		req, err := http.NewRequest(http.MethodPut, endpoint+"/latest/api/token", nil)
		if err != nil {
			return false
		}
		req.Header.Set("X-aws-ec2-metadata-token-ttl-seconds", "60")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return endpoint
}

// startProcess starts cmd in its own process group and stops it (stop signal, then the group)
// when the test ends. The channel closes when the process has exited.
func startProcess(t *testing.T, cmd *exec.Cmd, what string, stop syscall.Signal) <-chan struct{} {
	t.Helper()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", what, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait() // the exit is observed through the channel; the cleanup reports a hang
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(stop)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
			t.Errorf("%s ignored %v for 5s and was killed", what, stop)
		}
	})
	return exited
}

func waitReady(t *testing.T, what string, exited <-chan struct{}, logFile string, ready func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ready() {
		select {
		case <-exited:
			log, _ := os.ReadFile(logFile)
			t.Fatalf("%s exited while starting:\n%s", what, log)
		default:
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logFile)
			t.Fatalf("%s not ready after 15s:\n%s", what, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}

// The shims: the only fakes. Each records its call in $SHIM_CALLS.
var shims = map[string]string{
	// Packages come from Debian here (`make test` installs nginx and unzip).
	"dnf": `#!/bin/bash
echo "dnf $*" >>"$SHIM_CALLS"
[[ ${1-} == install ]] || { echo "dnf shim: only install is expected, got: $*" >&2; exit 1; }
`,
	// A unit's state is a file; start runs the real nginx as a daemon on the written config (the
	// script then checks that it serves), unless SHIM_NGINX_DEAD says the unit starts and dies;
	// reload signals it, as systemd would.
	"systemctl": `#!/bin/bash
echo "systemctl $*" >>"$SHIM_CALLS"
unit=${*: -1}
[[ $unit == nginx ]] || { echo "systemctl shim: unexpected unit in: $*" >&2; exit 1; }
case $1 in
enable) ;;
is-active) [[ -e $SHIM_STATE/nginx.active ]] ;;
start)
	touch "$SHIM_STATE/nginx.active"
	if [[ -z ${SHIM_NGINX_DEAD-} ]]; then
		nginx -p "$ROOT/" -c "$ROOT/etc/nginx/nginx.conf" -e "$ROOT/var/log/nginx/error.log"
	fi ;;
reload)
	[[ -e $SHIM_STATE/nginx.active ]] || { echo "nginx.service is not active, cannot reload." >&2; exit 1; }
	if [[ -s $ROOT/run/nginx.pid ]]; then kill -HUP "$(<"$ROOT/run/nginx.pid")"; fi ;;
*) echo "systemctl shim: unexpected: $*" >&2; exit 1 ;;
esac
`,
	// The S3 download: the zip the test made, for the one object the stack names; and the
	// signal upload, to the signals bucket only (SHIM_UPLOADS_OK=N: only the first N succeed).
	"aws": `#!/bin/bash
echo "aws $*" >>"$SHIM_CALLS"
[[ ${1-} == s3 && ${2-} == cp && $# -ge 4 ]] || { echo "aws shim: only s3 cp is expected, got: $*" >&2; exit 1; }
src=${*: -2:1}
dst=${*: -1}
if [[ $dst == s3://* ]]; then
	[[ $dst == "s3://$SHIM_SIGNAL_BUCKET/"* && -f $src && ! -s $src ]] || { echo "upload failed: $src to $dst" >&2; exit 1; }
	echo >>"$SHIM_STATE/uploads"
	if [[ -n ${SHIM_UPLOADS_OK-} ]] && (($(wc -l <"$SHIM_STATE/uploads") > SHIM_UPLOADS_OK)); then
		echo "upload failed: Could not connect to the endpoint URL" >&2
		exit 1
	fi
	exit 0
fi
[[ $src == "$SHIM_S3_OBJECT" ]] || { echo "fatal error: An error occurred (404) when calling the HeadObject operation: Key \"$src\" does not exist" >&2; exit 1; }
cp "$SHIM_SITE_ZIP" "$dst"
`,
}

// instance is one throwaway machine: a root the script writes into, the shims, the site zip
// the S3 shim serves and the loopback address nginx listens on.
type instance struct {
	t      *testing.T
	root   string
	dir    string // outside root: shims, script, temp files, shim records
	listen string // 127.0.0.1:port
	imds   string
	zip    string
	p      frontend.UserDataParams
}

func newInstance(t *testing.T, p frontend.UserDataParams, imds string) *instance {
	t.Helper()
	base := t.TempDir()
	in := &instance{
		t:      t,
		root:   filepath.Join(base, "root"),
		dir:    filepath.Join(base, "host"),
		listen: "127.0.0.1:" + freePort(t),
		imds:   imds,
		p:      p,
	}
	for _, d := range []string{in.root, in.path("bin"), in.path("tmp"), in.path("state")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range shims {
		if err := os.WriteFile(in.path("bin", name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	in.zip = in.path("site.zip")
	// The nginx the systemctl shim starts runs as a daemon: stopped here, with the test.
	t.Cleanup(in.stopDaemon)
	return in
}

// daemonPid is the pid of the nginx the systemctl shim started, or 0.
func (in *instance) daemonPid() int {
	b, err := os.ReadFile(in.rootPath("run/nginx.pid"))
	if err != nil {
		return 0
	}
	var pid int
	if _, err := fmt.Sscan(strings.TrimSpace(string(b)), &pid); err != nil || pid <= 0 || syscall.Kill(pid, 0) != nil {
		return 0
	}
	return pid
}

func (in *instance) stopDaemon() {
	pid := in.daemonPid()
	if pid == 0 {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	for i := 0; i < 50 && syscall.Kill(pid, 0) == nil; i++ {
		time.Sleep(100 * time.Millisecond)
	}
	if syscall.Kill(pid, 0) == nil {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		in.t.Errorf("nginx (pid %d) ignored SIGTERM for 5s and was killed", pid)
	}
}

func (in *instance) path(elem ...string) string {
	return filepath.Join(append([]string{in.dir}, elem...)...)
}

// rootPath is a path on the instance, inside the throwaway root.
func (in *instance) rootPath(p string) string { return filepath.Join(in.root, p) }

// deploySite writes the asset zip as CDK does (every entry dated 1980-01-01), from the real site
// plus extra files.
func (in *instance) deploySite(extra map[string]string) {
	in.t.Helper()
	files := in.siteFiles("")
	for name, data := range extra {
		files[name] = []byte(data)
	}
	in.deployZip(files)
}

// deploySiteWithout is the site's asset with one file left out.
func (in *instance) deploySiteWithout(name string) {
	in.t.Helper()
	in.deployZip(in.siteFiles(name))
}

// siteFiles are the real site's files as the asset holds them (built: sitebuild.Build), by
// name, but drop.
func (in *instance) siteFiles(drop string) map[string][]byte {
	in.t.Helper()
	site, err := sitebuild.Build(frontend.Site())
	if err != nil {
		in.t.Fatalf("building the site: %v", err)
	}
	files := map[string][]byte{}
	err = fs.WalkDir(site, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || name == drop {
			return err
		}
		data, err := fs.ReadFile(site, name)
		files[name] = data
		return err
	})
	if err != nil {
		in.t.Fatalf("reading the site: %v", err)
	}
	return files
}

// deployZip writes the asset zip as CDK does (every entry dated 1980-01-01), in name order.
func (in *instance) deployZip(files map[string][]byte) {
	in.t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			in.t.Fatalf("zipping %s: %v", name, err)
		}
		if _, err := w.Write(files[name]); err != nil {
			in.t.Fatalf("zipping %s: %v", name, err)
		}
	}
	if err := zw.Close(); err != nil {
		in.t.Fatalf("zipping the site: %v", err)
	}
	if err := os.WriteFile(in.zip, buf.Bytes(), 0o644); err != nil {
		in.t.Fatal(err)
	}
}

// run renders the user data and runs it as cloud-init would, in the throwaway root. It returns
// the script's output and the shim calls it made.
func (in *instance) run(extraEnv ...string) (output string, calls []string, err error) {
	in.t.Helper()
	ud, err := frontend.UserData(in.p)
	if err != nil {
		in.t.Fatalf("UserData: %v", err)
	}
	script := in.path("user-data.sh")
	if err := os.WriteFile(script, []byte(ud), 0o755); err != nil {
		in.t.Fatal(err)
	}
	callsFile := in.path("calls.log")
	if err := os.Remove(callsFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
		in.t.Fatal(err)
	}
	user := "nobody" // ignored by nginx when it does not run as root
	if os.Geteuid() == 0 {
		user = "root" // the test's files are the test user's
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Env = append([]string{
		"PATH=" + in.path("bin") + ":" + os.Getenv("PATH") + ":/usr/sbin:/sbin",
		"HOME=" + in.path("tmp"),
		"TMPDIR=" + in.path("tmp"),
		"LANG=C.UTF-8",
		"ROOT=" + in.root,
		"NGINX_LISTEN=" + in.listen,
		"NGINX_USER=" + user,
		"IMDS_ENDPOINT=" + in.imds,
		"SHIM_CALLS=" + callsFile,
		"SHIM_STATE=" + in.path("state"),
		"SHIM_S3_OBJECT=s3://" + in.p.SiteBucket + "/" + in.p.SiteKey,
		"SHIM_SITE_ZIP=" + in.zip,
		"SHIM_SIGNAL_BUCKET=" + in.p.SignalBucket,
		"SIGNAL_EVERY=0", // the repeats without the minutes between them
	}, extraEnv...)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		in.t.Fatalf("user data still running after a minute:\n%s", out)
	}
	if b, rerr := os.ReadFile(callsFile); rerr == nil {
		calls = strings.Split(strings.TrimSpace(string(b)), "\n")
	}
	return string(out), calls, err
}

// mustRun runs the user data and fails the test if it fails.
func (in *instance) mustRun() (output string, calls []string) {
	in.t.Helper()
	out, calls, err := in.run()
	if err != nil {
		in.t.Fatalf("user data failed: %v\n%s", err, out)
	}
	return out, calls
}

func (in *instance) nginxArgs(extra ...string) []string {
	return append([]string{
		"-p", in.root + "/",
		"-c", in.rootPath("etc/nginx/nginx.conf"),
		"-e", in.rootPath("var/log/nginx/error.log"),
	}, extra...)
}

// startNginx runs the real nginx in the foreground on the generated config, as systemd would
// start it on the instance, and waits for /healthz; when the script's systemctl start already
// runs it, it waits for that one.
func (in *instance) startNginx(tl tools) string {
	in.t.Helper()
	if in.daemonPid() != 0 {
		return "http://" + in.listen
	}
	logFile := in.path("nginx.out")
	f, err := os.Create(logFile)
	if err != nil {
		in.t.Fatal(err)
	}
	cmd := exec.Command(tl.nginx, in.nginxArgs("-g", "daemon off;")...)
	cmd.Stdout, cmd.Stderr = f, f
	exited := startProcess(in.t, cmd, "nginx", syscall.SIGTERM)
	base := "http://" + in.listen
	waitReady(in.t, "nginx", exited, logFile, func() bool {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return base
}

// treeState describes every file and directory the script owns in the root (not nginx's logs
// or pid): path, mode, and for files size, modification time and content hash. Equal states
// mean nothing a browser or nginx could notice changed, ETags included.
func (in *instance) treeState() []string {
	in.t.Helper()
	var state []string
	err := filepath.WalkDir(in.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(in.root, p)
		if err != nil {
			return err
		}
		if rel == "var/log" || rel == "run" {
			return filepath.SkipDir
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		line := fmt.Sprintf("%s %v", rel, info.Mode())
		if info.Mode().IsRegular() {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			h := sha256.New()
			_, err = io.Copy(h, f)
			f.Close()
			if err != nil {
				return fmt.Errorf("hashing %s: %w", p, err)
			}
			line += fmt.Sprintf(" %d %s %x", info.Size(), info.ModTime().UTC().Format(time.RFC3339Nano), h.Sum(nil))
		}
		state = append(state, line)
		return nil
	})
	if err != nil {
		in.t.Fatalf("walking %s: %v", in.root, err)
	}
	return state
}

// stateDiff lists the lines only one of two tree states has.
func stateDiff(before, after []string) string {
	var b strings.Builder
	for _, l := range before {
		if !slices.Contains(after, l) {
			fmt.Fprintf(&b, "- %s\n", l)
		}
	}
	for _, l := range after {
		if !slices.Contains(before, l) {
			fmt.Fprintf(&b, "+ %s\n", l)
		}
	}
	return b.String()
}

func hasCall(calls []string, prefix string) bool {
	return slices.ContainsFunc(calls, func(c string) bool { return strings.HasPrefix(c, prefix) })
}
