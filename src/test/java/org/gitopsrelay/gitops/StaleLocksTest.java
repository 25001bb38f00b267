package org.gitopsrelay.gitops;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;

import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.testing.TestConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StaleLocksTest {

    @TempDir
    Path tmp;

    private static Path lock(Path file, Instant modified) throws Exception {
        Files.createDirectories(file.getParent());
        Files.writeString(file, "");
        Files.setLastModifiedTime(file, FileTime.from(modified));
        return file;
    }

    @Test
    void locksOlderThanTheGivenTimeAreRemovedAndNewerOnesKept() throws Exception {
        Instant start = Instant.now();
        Path branch = lock(tmp.resolve("refs/heads/main.lock"), start.minusSeconds(60));
        Path packed = lock(tmp.resolve("packed-refs.lock"), start.minusSeconds(60));
        Path live = lock(tmp.resolve("refs/heads/feature/x.lock"), start.plusSeconds(1));
        Path notALock = lock(tmp.resolve("refs/heads/main"), start.minusSeconds(60));

        assertThat(StaleLocks.clear(tmp, FileTime.from(start))).containsExactlyInAnyOrder(branch, packed);

        assertThat(branch).doesNotExist();
        assertThat(packed).doesNotExist();
        assertThat(live).exists();
        assertThat(notALock).exists();
    }

    @Test
    void aRepositoryWithoutRefsHasNothingToClear() {
        assertThat(StaleLocks.clear(tmp.resolve("nothing-here"), FileTime.from(Instant.now()))).isEmpty();
    }

    @Test
    void theLocalGitOpsRepositoryLosesTheLockAProcessKilledMidPushLeftBehind() throws Exception {
        RelayConfig config = TestConfig.relay(tmp.resolve("data"));
        new GitOpsRemote(config).url();
        Path left = lock(tmp.resolve("data/gitops.git/refs/heads/main.lock"), Instant.now().minusSeconds(3600));

        new GitOpsRemote(config).url();

        assertThat(left).doesNotExist();
    }
}
