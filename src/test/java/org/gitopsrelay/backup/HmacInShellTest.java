package org.gitopsrelay.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import org.gitopsrelay.testing.ShellScripts;
import org.gitopsrelay.testing.ShellScripts.Result;
import org.gitopsrelay.webhook.HmacSignature;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report's HMAC-SHA256, computed in plain sh by backup-lib.sh (the curl image has no openssl), equals Java's
 * {@code javax.crypto.Mac} (what the relay checks with) and {@code openssl dgst -hmac}, under every shell the script
 * meets: busybox ash as in the images, dash and bash.
 */
class HmacInShellTest {

    private static final Path LIB = Path.of("kustomize-base/components/backup/scripts/backup-lib.sh");

    @TempDir
    Path tmp;

    private static List<String> keys() {
        return List.of("s", "s3cr3t", "k".repeat(63), "k".repeat(64), "k".repeat(65), "a much longer key ".repeat(9),
                "quotes ' \" and $(dollars) and \\backslashes", "clé très secrète ✓");
    }

    private List<Path> bodies() throws Exception {
        byte[] random = new byte[300_000];
        new Random(13).nextBytes(random);
        List<Path> bodies = new ArrayList<>();
        int index = 0;
        for (byte[] body : List.of(new byte[0], "{\"kind\":\"backup\",\"app\":\"demo\"}".getBytes(StandardCharsets.UTF_8),
                new byte[] { 0, 0, 10, 0, (byte) 0xff }, random)) {
            Path file = tmp.resolve("body-" + index++);
            Files.write(file, body);
            bodies.add(file);
        }
        return bodies;
    }

    private static List<String> shells(ShellScripts busybox) {
        return Stream.of(busybox.shell(), "/bin/dash", "/bin/bash").filter(shell -> Files.isExecutable(Path.of(shell)))
                .distinct().toList();
    }

    @Test
    void theSignatureComputedInShellEqualsJavasAndOpensslsForEveryKeyAndBody() throws Exception {
        ShellScripts scripts = new ShellScripts();
        Path probe = tmp.resolve("hmac.sh");
        Files.writeString(probe, "LOG_NAME=hmac\n. \"$LIB\"\nhmac_sha256_hex \"$KEY\" \"$1\"\n");
        List<String> shells = shells(scripts);
        assertThat(shells).as("busybox ash and dash at least").hasSizeGreaterThanOrEqualTo(2);

        for (String key : keys()) {
            for (Path body : bodies()) {
                String java = HmacSignature.sha256Hex(key, Files.readAllBytes(body));
                Result openssl = scripts.run(List.of("openssl", "dgst", "-sha256", "-hmac", key, body.toString()),
                        Map.of("PATH", System.getenv("PATH")));
                assertThat(openssl.stdout().trim()).as("openssl, key %s", key).endsWith("= " + java);
                for (String shell : shells) {
                    Result sh = scripts.run(List.of(shell, probe.toString(), body.toString()),
                            Map.of("LIB", LIB.toAbsolutePath().toString(), "KEY", key, "PATH", System.getenv("PATH"),
                                    "LANG", "C.UTF-8"));
                    assertThat(sh.exit()).as(sh.stderr()).isZero();
                    assertThat(sh.stdout()).as("%s, key of %s bytes, %s", shell,
                            key.getBytes(StandardCharsets.UTF_8).length, body.getFileName())
                            .isEqualTo(java + "\n");
                }
            }
        }
    }
}
