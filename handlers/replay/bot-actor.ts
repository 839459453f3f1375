/** Who the audit names for what the bot did on its own (a verification, an incident ended by a cleared backlog). */
export const BOT_ACTOR = 'stuckjobs';
