import type { AppConfig } from '../config/types.js';

export type AccessDecision = { allowed: true } | { allowed: false; message: string };

/** `access.allowed_channels`: empty means any channel. */
export function checkChannelAllowed(access: AppConfig['access'], channelId: string): AccessDecision {
  if (access.allowedChannels.length === 0 || access.allowedChannels.includes(channelId))
    return { allowed: true };
  return {
    allowed: false,
    message:
      'aop-status is not enabled in this channel. Ask an admin to add it to `access.allowed_channels`, or use it in one of the allowed channels.',
  };
}

/** `access.admins`: empty means everyone may change the inventory and subscriptions. */
export function checkAdmin(access: AppConfig['access'], userId: string, action: string): AccessDecision {
  if (access.admins.length === 0 || access.admins.includes(userId)) return { allowed: true };
  return {
    allowed: false,
    message: `Only aop-status admins may ${action}. Ask one of them, or an operator to add you to \`access.admins\`.`,
  };
}
