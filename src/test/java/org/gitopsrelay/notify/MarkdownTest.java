package org.gitopsrelay.notify;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MarkdownTest {

    @Test
    void aMentionInUntrustedTextNeverNotifiesAChannel() {
        assertThat(Markdown.plain("ping @channel and @all", 100)).doesNotContain("@channel", "@all");
        assertThat(Markdown.code("@here", 100)).doesNotContain("@here");
        assertThat(Markdown.block("@channel broke it", 100)).doesNotContain("@channel");
    }

    @Test
    void untrustedTextCannotInjectALinkAnImageOrAnotherLine() {
        String hostile = "![x](https://evil.example/t.png) [click](https://evil.example)\n#### Heading";
        String plain = Markdown.plain(hostile, 500);
        assertThat(plain).doesNotContain("\n", "](", "![", "https://").contains("\\[click\\]");
        assertThat(Markdown.plain("see WWW.evil.example/login", 100)).doesNotContainIgnoringCase("www.evil");
    }

    @Test
    void aCodeSpanCannotBeClosedEarly() {
        assertThat(Markdown.code("feature/`rm -rf`", 100)).isEqualTo("`feature/'rm -rf'`");
        assertThat(Markdown.block("```\n**bold**", 100)).startsWith("```\n'''").endsWith("\n```");
    }

    @Test
    void longTextIsCut() {
        assertThat(Markdown.plain("x".repeat(1000), 50)).hasSize(50).endsWith("…");
    }

    @Test
    void onlyACommitShaIsShortened() {
        assertThat(Markdown.shortSha("3f2a9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b")).isEqualTo("3f2a9c0");
        assertThat(Markdown.shortSha("](https://evil")).isEmpty();
    }

    @Test
    void aLogLineIsOneReadableLine() {
        Message message = new Message(":x: **shop** failed: " + Markdown.plain("cap (previews.max) @bob", 100),
                "line one\nline two", Message.RED);
        assertThat(message.logText()).isEqualTo(":x: shop failed: cap (previews.max) @bob | line one | line two");
    }
}
