-- The unit's 主要负责人 (派驻机构主要负责人): the one approver who may sign
-- off templates whose manifest says "approval": "head" (谈话方案, 函询通知书,
-- 纪律检查建议书). NULL: none named yet, and such documents cannot be signed.
ALTER TABLE units ADD COLUMN head_user_id INTEGER REFERENCES users (id);
