/**
 * The look of the classes blocks.ts, elements.ts and the mrkdwn renderer
 * emit, kept beside them so a renamed class is noticed in one place. The page
 * that serves the HTML inlines this in its stylesheet.
 */
export const BLOCK_STYLES = `
.block { margin: 4px 0; }
.block-header h3 { margin: 8px 0 4px; font-size: 18px; }
.block-section { display: flex; gap: 12px; align-items: flex-start; }
.section-body { flex: 1; min-width: 0; }
.fields { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 16px; margin-top: 6px; }
.block-context { color: #616061; font-size: 12px; display: flex; flex-wrap: wrap; gap: 8px; }
.block-divider hr { border: 0; border-top: 1px solid #ddd; }
.block-actions { display: flex; flex-wrap: wrap; gap: 8px; }
.button { padding: 4px 12px; border: 1px solid #bbb; border-radius: 4px; background: #fff; font-weight: 600; cursor: pointer; }
.button.primary { background: #007a5a; border-color: #007a5a; color: #fff; }
.button.danger { background: #e01e5a; border-color: #e01e5a; color: #fff; }
.unsupported { color: #8a6d00; background: #fff8db; font-style: italic; padding: 2px 6px; border-radius: 3px; }
.mention { background: #e8f5fa; color: #1264a3; border-radius: 3px; padding: 0 2px; }
code { background: #f4f4f4; border: 1px solid #ddd; border-radius: 3px; padding: 0 3px; color: #c01343; }
.code-block { background: #f8f8f8; border: 1px solid #ddd; border-radius: 4px; padding: 8px; white-space: pre-wrap; }
blockquote { margin: 4px 0; padding-left: 10px; border-left: 4px solid #ddd; }
`;
