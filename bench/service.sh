# Sourced by the benchmark scripts: starts the packaged service with its embedded defaults in a scratch data dir
# and sets $work, $port, $secret, $bootstrap (the broker), $pid (the service's process) and $cp (the service's jars,
# for the harness). EXTERNAL_BROKER=1: the broker runs in a process of its own (bench/Broker.java), so that the
# service's memory is measured alone. HEAP: the service's -Xmx (default 1g); JAVA_OPTS: more JVM options, split on
# spaces (the memory settings the deployment ships, for one).
jar=target/quarkus-app/quarkus-run.jar
[ -f "$jar" ] || ./mvnw -B -q package -DskipTests
work=$(mktemp -d /tmp/relay-bench.XXXXXX)
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
secret=bench-secret
cp="target/quarkus-app/lib/main/*"
broker_pid=
external=()
if [ "${EXTERNAL_BROKER:-0}" = 1 ]; then
  java -cp "$cp:target/quarkus-app/lib/boot/*:target/quarkus-app/app/*" bench/Broker.java "$work/kafka" \
    >"$work/broker.log" 2>&1 &
  broker_pid=$!
  for _ in $(seq 1 60); do grep -q 'Broker started on' "$work/broker.log" && break; sleep 1; done
  bootstrap=$(grep -o 'Broker started on [0-9.:]*' "$work/broker.log" | awk '{print $NF}')
  [ -n "$bootstrap" ] || { echo "the broker did not start: $work/broker.log" >&2; exit 1; }
  external=(env "KAFKA_BOOTSTRAP_SERVERS=$bootstrap")
fi
read -r -a java_opts <<<"${JAVA_OPTS:-}"
"${external[@]}" env RELAY_DATA_DIR="$work/data" RELAY_WEBHOOK_GITHUB_SECRET=$secret QUARKUS_HTTP_PORT="$port" \
  RELAY_GITOPS_REFRESH_INTERVAL=PT1S java "-Xmx${HEAP:-1g}" "${java_opts[@]}" -jar "$jar" >"$work/relay.log" 2>&1 &
pid=$!
trap 'kill $pid $broker_pid 2>/dev/null; wait $pid $broker_pid 2>/dev/null; echo "log and data: $work"' EXIT
for _ in $(seq 1 60); do curl -fs "http://127.0.0.1:$port/q/health/ready" >/dev/null 2>&1 && break; sleep 1; done
if [ -z "$broker_pid" ]; then
  bootstrap=$(grep -o 'Embedded Kafka broker started on [0-9.:]*' "$work/relay.log" | awk '{print $NF}')
fi
git clone -q "$work/data/gitops.git" "$work/clone"
echo "== machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB, $(java -version 2>&1 | head -1)"

# Registers app-1..app-N, each a copy of the demo app fed by github.com/bench/app-i, and gives the service's registry
# a moment to see them.
register_apps() {
  local i
  for i in $(seq 1 "$1"); do
    mkdir -p "$work/clone/apps/app-$i"
    cp -r "$work/clone/apps/demo/base" "$work/clone/apps/demo/envs" "$work/clone/apps/app-$i/"
    sed -e "s#github.com/example/demo#github.com/bench/app-$i#" -e "s#^name: demo#name: app-$i#" \
      "$work/clone/apps/demo/app.yaml" >"$work/clone/apps/app-$i/app.yaml"
  done
  git -C "$work/clone" add -A
  git -C "$work/clone" -c user.name=bench -c user.email=bench@example.org commit -qm "Register bench apps"
  git -C "$work/clone" push -q origin HEAD:main
  sleep 3
}
