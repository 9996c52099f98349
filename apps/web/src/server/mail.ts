// Outgoing mail: password-reset and verification links. Through SMTP with nodemailer when
// HENS_SMTP_URL is set; otherwise the message goes to the server log and to the mail outbox that
// platform admins read at /admin (an install without mail can still hand a reset link over).
import type { Db } from "@hyperensemble/db";
import nodemailer, { type Transporter } from "nodemailer";

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  send(mail: Mail): Promise<{ via: "smtp" | "outbox" }>;
}

/** SMTP through nodemailer (smtp:// or smtps:// URL with credentials). */
export function smtpMailer(url: string, from: string, transport?: Transporter): Mailer {
  const transporter = transport ?? nodemailer.createTransport(url);
  return {
    async send(mail) {
      await transporter.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text });
      return { via: "smtp" };
    },
  };
}

/** No SMTP: the log and the outbox table (read by platform admins). */
export function outboxMailer(db: Db, log: (line: string) => void = console.info): Mailer {
  return {
    async send(mail) {
      await db.mailOutbox.create({ data: mail });
      log(`[mail] no HENS_SMTP_URL: to ${mail.to}: ${mail.subject}\n${mail.text}`);
      return { via: "outbox" };
    },
  };
}

export function mailerFromEnv(
  db: Db,
  env: { HENS_SMTP_URL?: string | undefined; HENS_MAIL_FROM: string },
): Mailer {
  return env.HENS_SMTP_URL ? smtpMailer(env.HENS_SMTP_URL, env.HENS_MAIL_FROM) : outboxMailer(db);
}
