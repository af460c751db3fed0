// SPDX-License-Identifier: GPL-2.0
/* Compiles on 6.7..6.12, where the next-fd lookup returns a referenced file. */
#include <linux/fdtable.h>
#include <linux/sched.h>

struct file *efd_probe(struct task_struct *task, unsigned int *fd);
struct file *efd_probe(struct task_struct *task, unsigned int *fd)
{
	return task_lookup_next_fdget_rcu(task, fd);
}
