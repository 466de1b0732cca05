//! CQL code blocks of a Markdown file (fenced with ```` ```cql ````), with their byte ranges so
//! diagnostics on a block point into the Markdown file.

use std::ops::Range;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CqlBlock {
    /// 1-based position among the file's CQL blocks (`investigation.md#1`).
    pub index: usize,
    /// The query text.
    pub source: String,
    /// Byte range of the query text in the Markdown file.
    pub span: Range<usize>,
}

/// Every fenced block whose info string is `cql` (case-insensitive; also `logscale`), in order.
pub fn cql_blocks(markdown: &str) -> Vec<CqlBlock> {
    let mut blocks = Vec::new();
    let mut offset = 0;
    let mut open: Option<(String, usize)> = None; // (fence, body start)
    for line in markdown.split_inclusive('\n') {
        let trimmed = line.trim_end_matches(['\n', '\r']).trim_start();
        match &open {
            None => {
                if let Some(fence) = fence_of(trimmed) {
                    let info = trimmed[fence.len()..].trim().to_ascii_lowercase();
                    let lang = info.split_whitespace().next().unwrap_or("");
                    if lang == "cql" || lang == "logscale" {
                        open = Some((fence, offset + line.len()));
                    } else {
                        open = Some((fence, usize::MAX));
                    }
                }
            }
            Some((fence, start)) => {
                if trimmed.starts_with(fence.as_str()) && trimmed[fence.len()..].trim().is_empty() {
                    if *start != usize::MAX {
                        let span = *start..offset;
                        blocks.push(CqlBlock {
                            index: blocks.len() + 1,
                            source: markdown[span.clone()].to_owned(),
                            span,
                        });
                    }
                    open = None;
                }
            }
        }
        offset += line.len();
    }
    blocks
}

fn fence_of(line: &str) -> Option<String> {
    for ch in ['`', '~'] {
        let n = line.chars().take_while(|c| *c == ch).count();
        if n >= 3 {
            return Some(ch.to_string().repeat(n));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_cql_blocks_are_numbered() {
        let md = "# t\n```cql\na=1\n```\ntext\n```sh\nls\n```\n```CQL\nb=2\n| count()\n```\n";
        let blocks = cql_blocks(md);
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].source, "a=1\n");
        assert_eq!(blocks[1].index, 2);
        assert_eq!(blocks[1].source, "b=2\n| count()\n");
        assert_eq!(&md[blocks[1].span.clone()], "b=2\n| count()\n");
    }

    #[test]
    fn an_unclosed_block_is_ignored() {
        assert!(cql_blocks("```cql\na=1\n").is_empty());
    }
}
