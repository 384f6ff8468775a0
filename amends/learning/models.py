"""Learning from a failure: its review, corrective and preventive actions, their effectiveness checks, standing
guard rules, staff suggestions, the weekly review and scheduled process audits."""
