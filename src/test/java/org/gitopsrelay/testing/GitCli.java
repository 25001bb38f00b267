package org.gitopsrelay.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The git command line, to check the GitOps repository as a person would see it. */
public final class GitCli {

    private GitCli() {
    }

    public static String git(Path dir, String... args) {
        List<String> argv = new ArrayList<>(List.of("git", "-c", "user.name=Test Person", "-c",
                "user.email=test@example.org", "-c", "init.defaultBranch=main", "-c", "protocol.file.allow=always"));
        argv.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(argv).directory(dir.toFile()).redirectErrorStream(true).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("git " + String.join(" ", args) + " failed in " + dir + ":\n" + out);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
